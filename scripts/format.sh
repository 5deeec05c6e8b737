#!/usr/bin/env bash
# format.sh: apply clang-format (the project's .clang-format) to every C file.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files '*.c' '*.h' | xargs -r clang-format -i
