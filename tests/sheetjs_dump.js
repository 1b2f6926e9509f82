// Read a workbook with SheetJS (npm "xlsx", installed into ./node_modules by `make setup`) and
// write every sheet's cells as JSON lines: first {"sheets": [names]}, then for each sheet
// {"sheet": name, "rows": [[value or null, ...], ...]} from cell A1.  Values are as stored:
// numbers (a date is its serial number), strings, booleans; a formula cell gives its cached
// value; an error cell gives {"error": text}.      Usage: node sheetjs_dump.js IN.xlsx OUT.jsonl
"use strict";
const fs = require("fs");
const XLSX = require("xlsx");

const [, , src, dst] = process.argv;
const wb = XLSX.read(fs.readFileSync(src), { type: "buffer", cellDates: false, cellNF: false, cellHTML: false,
                                             dense: true });
const out = fs.openSync(dst, "w");
fs.writeSync(out, JSON.stringify({ sheets: wb.SheetNames }) + "\n");
for (const name of wb.SheetNames) {
  const ws = wb.Sheets[name];
  const dense = ws["!data"] || (Array.isArray(ws) ? ws : []);  // 0.18 keeps the rows in the sheet, 0.19+ in !data
  fs.writeSync(out, JSON.stringify({ sheet: name }).slice(0, -1) + ', "rows": [');
  const batch = [];
  for (let r = 0; r < dense.length; r++) {
    const row = dense[r] || [];
    const values = [];
    for (let c = 0; c < row.length; c++) {
      const cell = row[c];
      values.push(!cell || cell.t === "z" || cell.v === undefined ? null
                  : cell.t === "e" ? { error: cell.w || String(cell.v) } : cell.v);
    }
    batch.push(JSON.stringify(values));
    if (batch.length === 5000) { fs.writeSync(out, (r >= 5000 ? "," : "") + batch.join(",")); batch.length = 0; }
  }
  if (batch.length) fs.writeSync(out, (dense.length > batch.length ? "," : "") + batch.join(","));
  fs.writeSync(out, "]}\n");
}
fs.closeSync(out);
