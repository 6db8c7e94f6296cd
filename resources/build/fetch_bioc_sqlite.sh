#!/usr/bin/env bash
# Download Debian's org.Hs.eg.db and GO.db packages from the unstable suite and unpack their SQLite files,
# without touching the system's apt configuration. Usage: fetch_bioc_sqlite.sh OUTDIR
# Prints "package<TAB>version<TAB>path" per package.
set -euo pipefail
out=${1:?usage: fetch_bioc_sqlite.sh OUTDIR}
suite=${DEBIAN_SUITE:-unstable}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/etc/preferences.d"
cat > "$work/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main
SRC
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=-"
          -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
          -o "Dir::Etc::Preferences=$work/etc/preferences" -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
          -o "Debug::NoLocking=1" -o "APT::Get::List-Cleanup=0")
apt-get "${apt_opts[@]}" -qq update
for pkg in r-bioc-org.hs.eg.db r-bioc-go.db; do
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "$pkg")
  deb=$(ls "$work"/"${pkg}"_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  dpkg -x "$deb" "$work/x-$pkg"
  sqlite=$(find "$work/x-$pkg" -name '*.sqlite' | head -n 1)
  cp "$sqlite" "$out/"
  printf '%s\t%s\t%s\n' "$pkg" "$version" "$out/$(basename "$sqlite")"
done
