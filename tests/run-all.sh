#!/usr/bin/env bash
# Runs every test. The client tests drive real boto3 and the AWS CLI, so this first makes
# sure .venv has them (from PyPI, once), then runs cargo's unit, integration, conformance
# and doc tests, and the benchmarks in their quick test mode.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c 'import boto3, awscrt' 2>/dev/null || [ ! -x .venv/bin/aws ]; then
  echo "setting up .venv with boto3, awscrt and the AWS CLI (tests/clients/requirements.txt)..." >&2
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/clients/requirements.txt
fi
command -v curl >/dev/null || { echo "curl is needed by the README test (apt-get install curl)" >&2; exit 2; }

export OUTPOST_GATE_PYTHON="$PWD/.venv/bin/python"
# --no-fail-fast: one failing test file must not hide the others' results.
exec cargo test --all-targets --no-fail-fast "$@"
