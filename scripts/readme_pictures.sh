#!/bin/sh
# Refresh the README's pictures of the live map from the browser tests that take them
# (tests/browser, headless Chromium; each test writes its picture to artifacts/), then copy
# each one to the name the README shows. Run from anywhere: scripts/readme_pictures.sh
set -eu
cd "$(dirname "$0")/.."
PY="${VENV:-.venv}/bin/python"
"$PY" -m pytest -q -p no:cacheprovider \
    "tests/browser/test_live_map_fleet.py::test_pilot_flies_three_drones_and_sees_the_officers_incident" \
    "tests/browser/test_live_video.py::test_pilot_watches_the_drone_and_turns_its_gimbal" \
    "tests/browser/test_live_map_planner.py::test_pilot_draws_previews_saves_flies_and_deletes_plans" \
    "tests/browser/test_live_map_controls.py" \
    "tests/browser/test_live_map_language.py" \
    "tests/browser/test_live_map_admin.py::test_admin_adds_resets_and_disables_a_user"
# artifacts/ name -> docs/img name
while read -r shot picture; do
    cp "artifacts/$shot" "docs/img/$picture"
done <<'LIST'
live_map_flying.png live_map.png
live-video.png live-video.png
planner_preview_desktop.png planner_preview.png
live_map_controls.png live_map_controls.png
live_map_zh_390.png live_map_phone.png
admin_users_1280.png admin_users.png
LIST
