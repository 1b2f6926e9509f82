"""One-off: rekey the Middlesbrough 2009 sample plan into planbook's standard columns.

Reads ../shared/samples/middlesbrough_cs.json (the plan as published) and writes
src/planbook/data/middlesbrough_2009.json, the demo's bundled data.  Rules, all visible here:
- Ref is the leading number of the Action text ("6.2 Audit …" -> "6.2", "Audit …").
- Issue -> Objective and Who -> Lead are carried down the rows under an issue left blank.
- A Who naming several people ("X / Y", "X & Y", "X and Y") gives X as Lead and the rest as Partners.
- Progress is the status word as written; Success Criteria, Resource, By when are copied as written.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "samples" / "middlesbrough_cs.json"
# Spelling variants of one post, as typed in the published plan.
KEEP_WHOLE = {"Commissioning & Development Officer", "Manager, Communications & Engagement"}
SAME_POST = {
    "DD Achievement DD Achievement": "DD Achievement",
    "Manager, Communications and Engagement": "Manager, Communications & Engagement",
}
SPLIT = re.compile(r"\s*/\s*|\s+&\s+|\s+and\s+(?=[A-Z])")


def split_lead(who: str) -> tuple[str, str]:
    who = SAME_POST.get(who.strip(), who.strip())
    if who in KEEP_WHOLE or not SPLIT.search(who):
        return who, ""
    parts = [p for p in SPLIT.split(who) if p]
    return parts[0], ", ".join(parts[1:])


def main() -> None:
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    actions = []
    for section in data["sections"]:
        h = section["headers"]
        issue, who = "", ""
        for row in section["rows"]:
            cell = dict(zip(h, row))
            issue = cell["Issue"].strip() or issue
            if cell["Issue"].strip():
                who = ""
            who = cell["Who"].strip() or who
            m = re.match(r"^\s*(\d+(?:\.\d+)*[a-z]?)\.?\s+(.*)$", cell["Action"], re.S)
            ref, text = (m.group(1), m.group(2).strip()) if m else ("", cell["Action"].strip())
            lead, partners = split_lead(who)
            actions.append({"Ref": ref, "Theme": section["heading"], "Objective": issue, "Action": text,
                            "Lead": lead, "Partners": partners, "Due": cell["By when"].strip(),
                            "Success measure": cell["Success Criteria"].strip(), "Resources": cell["Resource"].strip(),
                            "Status": cell["Progress"].strip()})
    out = {"title": "Children's Services in Middlesbrough – Action Plan 2009", "period": "2009/10",
           "source": data.get("source", ""), "themes": [s["heading"] for s in data["sections"]], "actions": actions}
    target = ROOT / "src" / "planbook" / "data" / "middlesbrough_2009.json"
    target.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(actions)} actions, {len({a['Lead'] for a in actions})} leads -> {target}")


if __name__ == "__main__":
    main()
