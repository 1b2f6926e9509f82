"""Mail: SMTP transport and drafts, the report email, update requests, chasing and receipts."""
