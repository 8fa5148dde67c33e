// Times the seed tutorial's normalizeAndRedact (../shared/seed, Step 3, copied as the tutorial gives it)
// over the dev set's texts, the same input as RedactionBenchmarks. Usage: node bench/tutorial-redactor.mjs
import { readFileSync } from "node:fs";

function normalizeAndRedact(rawText) {
  let normalized = rawText
    .replace(/\s+/g, " ")
    .replace(/([.,!?])\s*/g, "$1")
    .trim();
  const piiPatterns = [
    { pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replacement: "[SSN]" },
    { pattern: /\b\d{3}[-.\s]?\d{3}[-.\s]?\d{4}\b/g, replacement: "[PHONE]" },
    { pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b/g, replacement: "[EMAIL]" },
    { pattern: /\b\d{4}[-\s]?\d{4}[-\s]?\d{4}[-\s]?\d{4}\b/g, replacement: "[CC]" },
  ];
  for (const { pattern, replacement } of piiPatterns) normalized = normalized.replace(pattern, replacement);
  return normalized;
}

const path = new URL("../../shared/eval/presidio-synth.jsonl", import.meta.url);
const texts = readFileSync(path, "utf8").split("\n").filter(Boolean).map(l => JSON.parse(l).text);
let sink = 0;
for (let w = 0; w < 200; w++) for (const t of texts) sink += normalizeAndRedact(t).length; // warm-up
const rounds = 2000;
const start = process.hrtime.bigint();
for (let r = 0; r < rounds; r++) for (const t of texts) sink += normalizeAndRedact(t).length;
const ns = Number(process.hrtime.bigint() - start);
console.log(`node ${process.version}: ${(ns / rounds / 1e6).toFixed(3)} ms per pass over ${texts.length} utterances (${(ns / rounds / texts.length).toFixed(0)} ns each) [${sink}]`);
