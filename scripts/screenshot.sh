#!/usr/bin/env bash
# Render the report in headless Chromium and save a full-page PNG, to look at it without a desktop.
#   scripts/screenshot.sh [REPORT_HTML] [OUT_PNG]
# Defaults: reports/report.html -> reports/report.png. WIDTH/HEIGHT override the window (1400x6000).
# Needs Debian's chromium (apt-get install -y chromium). Runs fully offline: the report has no external URL,
# and networking features Chromium would otherwise start (component updates, sync, QUIC) are off.
set -euo pipefail

html="${1:-reports/report.html}"
out="${2:-${html%.html}.png}"
width="${WIDTH:-1400}"
height="${HEIGHT:-6000}"

if [[ ! -f "$html" ]]; then
    echo "screenshot.sh: $html: no such file; write the report first (aligned report or aligned demo)" >&2
    exit 2
fi
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    echo "screenshot.sh: chromium not found; install it with: apt-get install -y chromium" >&2
    exit 2
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
abs_html="$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
mkdir -p "$(dirname "$out")"
abs_out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

# --no-sandbox: Chromium refuses to start as root otherwise (containers, CI).
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$abs_out" --window-size="${width},${height}" "file://${abs_html}" \
    >"$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
if [[ ! -s "$abs_out" ]]; then
    cat "$profile/chromium.log" >&2
    echo "screenshot.sh: chromium wrote no screenshot" >&2
    exit 1
fi
echo "$abs_out"
