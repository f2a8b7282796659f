#!/usr/bin/env bash
# Regenerates the output samples in README.md from the current binary
# (in-process servers on loopback; times, ports and timestamps masked).
# `cargo test` fails when a sample drifts (tests/it/readme.rs); this script
# rewrites them. A sample is the fenced block after `<!-- sample: NAME -->`;
# a block ending in a line `…` keeps only as many lines as it has.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
UPDATE_README=1 cargo test --test it -- readme::readme_samples_are_the_current_output
git --no-pager diff --stat -- README.md 2>/dev/null || true
