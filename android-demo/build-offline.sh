#!/usr/bin/env bash
# Offline debug APK from Debian's Android tools, no Gradle and no internet:
#   aapt2 (resources + manifest), javac against API 23's android.jar (Java 8, no lambdas), dx (dex),
#   zipalign, apksigner (debug key made with keytool), then `apksigner verify` and `aapt dump badging`.
# The interpreter is the stand-in (app/src/standin): Debian has no TFLite runtime for Android.
#
# Usage: android-demo/build-offline.sh [--model EXPORT_DIR]
#   EXPORT_DIR holds model.tflite + model.json from `edgelmk export --target tflite --int8`;
#   without it the APK takes app/src/main/assets as they are (the app explains a missing model on screen).
# Output: android-demo/build/edgelmk-demo-debug.apk
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build/offline"
apk="$here/build/edgelmk-demo-debug.apk"
package=org.edgelmk.demo

model_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --model) model_dir=${2:?--model needs a folder}; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "build-offline.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$model_dir" ]; then
    for file in model.tflite model.json; do
        if [ ! -f "$model_dir/$file" ]; then
            echo "build-offline.sh: $model_dir/$file not found; give the --out folder of" \
                 "\`edgelmk export CHECKPOINT --target tflite --int8 --out DIR\`" >&2
            exit 1
        fi
    done
fi

"$here/tools/install-debian-tools.sh"
root="$here/build/debian-tools/root"
android_jar="$root/usr/share/java/com.android.android-23.jar"
dx_jar="$root/usr/share/java/com.android.dx-10.0.0.jar"

rm -rf "$out" "$apk"
mkdir -p "$out"/{assets,compiled,gen,classes}
if [ -d "$here/app/src/main/assets" ]; then
    cp -r "$here/app/src/main/assets/." "$out/assets/"
fi
if [ -n "$model_dir" ]; then
    cp "$model_dir/model.tflite" "$model_dir/model.json" "$out/assets/"
fi
if [ ! -f "$out/assets/model.tflite" ]; then
    echo "build-offline.sh: warning: no model.tflite in the assets; the app will say so on screen"
fi

echo "build-offline.sh: resources and manifest (aapt2)"
sed "s|<manifest |<manifest package=\"$package\" |" "$here/app/src/main/AndroidManifest.xml" > "$out/AndroidManifest.xml"
aapt2 compile --dir "$here/app/src/main/res" -o "$out/compiled/res.zip"
aapt2 link -I "$android_jar" --manifest "$out/AndroidManifest.xml" --min-sdk-version 23 --target-sdk-version 23 \
    --version-code 1 --version-name 0.1.0-offline -A "$out/assets" -0 tflite --java "$out/gen" \
    -o "$out/unaligned.apk" "$out/compiled/res.zip"

echo "build-offline.sh: Java 8 classes (javac against android.jar API 23)"
javac -source 8 -target 8 -Xlint:-options -bootclasspath "$android_jar" -d "$out/classes" \
    $(find "$here/core/src/main/java" "$here/app/src/main/java" "$here/app/src/standin/java" "$out/gen" -name '*.java')

echo "build-offline.sh: dex (dx)"
java -cp "$dx_jar" com.android.dx.command.Main --dex --min-sdk-version=23 --output="$out/classes.dex" "$out/classes"
(cd "$out" && zip -q unaligned.apk classes.dex)

echo "build-offline.sh: align and sign (zipalign, apksigner with a debug key)"
zipalign -f -p 4 "$out/unaligned.apk" "$out/aligned.apk"
keystore="$here/build/debug.keystore"
if [ ! -f "$keystore" ]; then
    keytool -genkeypair -keystore "$keystore" -storepass android -keypass android -alias androiddebugkey \
        -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Android Debug,O=Android,C=US" > /dev/null 2>&1
fi
apksigner sign --ks "$keystore" --ks-pass pass:android --key-pass pass:android --out "$apk" "$out/aligned.apk"

echo "build-offline.sh: checks"
apksigner verify --verbose "$apk" | grep -E "^Verifies|v2 scheme"
aapt dump badging "$apk" | grep -E "^(package|sdkVersion|targetSdkVersion|uses-permission|launchable-activity)"
if ! aapt list "$apk" | grep -qx classes.dex; then
    echo "build-offline.sh: classes.dex is missing from the APK" >&2
    exit 1
fi
aapt list "$apk" | grep '^assets/' || true
echo "build-offline.sh: wrote $apk ($(du -k "$apk" | cut -f1) KiB)"
