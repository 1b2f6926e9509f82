"""planbook's version, written into every workbook it makes."""

#: planbook's version (as ``planbook --version`` prints it), written into every workbook it makes.
__version__ = "0.1.0"
