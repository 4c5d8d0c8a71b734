#!/usr/bin/env bash
# Installs what the offline Android build and the JVM tests use, all from Debian's archive:
#   bookworm (installed with apt):  aapt (aapt + aapt2), zipalign, apksigner, junit4, zip
#   bullseye (downloaded and unpacked into android-demo/build/debian-tools, not installed):
#     libandroid-23-java (android.jar, API 23) and dalvik-exchange (the dx dexer)
# Idempotent; prints the paths it provides. Exit status 1 with a reason when something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/build/debian-tools"

missing=()
for command in aapt aapt2 zipalign apksigner zip; do
    command -v "$command" > /dev/null || missing+=("$command")
done
[ -f /usr/share/java/junit4.jar ] || missing+=(junit4)
if [ ${#missing[@]} -gt 0 ]; then
    packages="aapt zipalign apksigner junit4 zip"
    if [ "$(id -u)" -eq 0 ]; then
        sudo=""
    elif command -v sudo > /dev/null; then
        sudo="sudo"
    else
        echo "install-debian-tools: missing ${missing[*]}; run as root: apt-get install $packages" >&2
        exit 1
    fi
    echo "install-debian-tools: installing $packages (missing: ${missing[*]})"
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
            --no-install-recommends $packages > /dev/null; }; then
        echo "install-debian-tools: apt-get could not install $packages" >&2
        exit 1
    fi
fi

# android.jar (API 23) and dx live only in bullseye: fetch them with a private apt state, unpack, never install.
android_jar="$tools/root/usr/share/java/com.android.android-23.jar"
dx_jar="$tools/root/usr/share/java/com.android.dx-10.0.0.jar"
if [ ! -f "$android_jar" ] || [ ! -f "$dx_jar" ]; then
    echo "install-debian-tools: fetching android.jar (API 23) and dx from Debian bullseye"
    mkdir -p "$tools"/apt/{lists/partial,cache/archives/partial} "$tools/debs" "$tools/root"
    echo "deb http://deb.debian.org/debian bullseye main" > "$tools/apt/sources.list"
    apt_options=(-o "Dir::Etc::SourceList=$tools/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                 -o "Dir::State::Lists=$tools/apt/lists" -o "Dir::Cache=$tools/apt/cache"
                 -o APT::Sandbox::User=root -o Debug::NoLocking=1)
    if ! apt-get "${apt_options[@]}" update -qq; then
        echo "install-debian-tools: could not read Debian bullseye's package list from deb.debian.org" >&2
        exit 1
    fi
    (cd "$tools/debs" && apt-get "${apt_options[@]}" download libandroid-23-java dalvik-exchange) > /dev/null
    for deb in "$tools"/debs/*.deb; do
        dpkg-deb -x "$deb" "$tools/root"
    done
fi
echo "install-debian-tools: android.jar $android_jar"
echo "install-debian-tools: dx $dx_jar"
