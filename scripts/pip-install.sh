#!/usr/bin/env bash
# Install the pinned Python requirements into .venv quietly. pip on some machines prints a
# harmless "Location ... is ignored" warning for every configured index; those lines are dropped,
# everything else (real errors) is shown, and pip's exit status is kept.
set -euo pipefail
venv=${1:?usage: pip-install.sh VENV REQUIREMENTS}
requirements=${2:?usage: pip-install.sh VENV REQUIREMENTS}
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" 2>&1 \
    | { grep -v -E 'WARNING: Location .* is ignored' || true; }
