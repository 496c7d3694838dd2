#!/usr/bin/env bash
# Kept for old workflow files and crontabs: everything is in ci/nightly.
exec "$(dirname "$0")/nightly" "$@"
