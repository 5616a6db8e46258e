#!/usr/bin/env bash
# check-layers.sh [ROOT]: every #include in ROOT/app/**/*.{c,h} against the
# floors written in ROOT/app/README.md (ROOT defaults to this repository).
#
# The order is the fenced ```layers block of app/README.md: one floor per
# line, the lowest first; folders on one line share a floor. A file may
# include headers of its own folder and of any floor below its own; an
# include of a floor above, or of another folder on the same floor, is a
# violation, and so is a folder under app/ that is on no floor.
#
# An include is resolved the way the compiler does with -Iapp: "x/y.h" is
# looked for beside the including file first, then under app/; a bare "y.h"
# is the file's own folder and always allowed. <x/y.h> counts only when x is
# a folder of app/ (so <json-c/json.h> is not ours). Includes inside comments
# or #if 0 are read like any other: keep them out of the sources.
#
# Prints one line per violation (file:line: from -> to (why)), a summary,
# and last "1 passed, 0 failed" or "0 passed, 1 failed" for scripts/test.sh.
# Exits 0 when clean, 1 on any violation, 2 when the order cannot be read.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$here}

fail_setup() { echo "check-layers: $1"; echo "0 passed, 1 failed"; exit 2; }
cd "$root" 2>/dev/null || fail_setup "no such directory: $root"
[ -f app/README.md ] || fail_setup "$root/app/README.md is missing: it holds the layers block"

mapfile -d '' dirs < <(find app -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%f\0' | LC_ALL=C sort -z)
mapfile -d '' files < <(find app -type f \( -name '*.c' -o -name '*.h' \) ! -path '*/.*' -print0 | LC_ALL=C sort -z)

LC_ALL=C awk -v dirlist="${dirs[*]}" '
function normalize(path,    n, parts, out, k, i) {
    n = split(path, parts, "/"); k = 0
    for (i = 1; i <= n; i++) {
        if (parts[i] == "" || parts[i] == ".") continue
        if (parts[i] == "..") { if (k > 0) k--; else out[++k] = ".."; continue }
        out[++k] = parts[i]
    }
    path = ""
    for (i = 1; i <= k; i++) path = path (i > 1 ? "/" : "") out[i]
    return path
}
# the folder of app/ a path (relative to the root) is in, "" if none
function folder_of(path,    parts, n) {
    n = split(path, parts, "/")
    return (n >= 3 && parts[1] == "app") ? parts[2] : ""
}
function violation(msg) { print msg; nviol++; badfile[FILENAME] = 1 }
# once the README is read: the order is sound (else status 2), folders on no floor
function setup(    i) {
    ready = 1
    if (!found) print "check-layers: app/README.md has no ```layers block"
    else if (inblock) print "check-layers: the ```layers block of app/README.md is not closed"
    else if (nfloors == 0) print "check-layers: the ```layers block of app/README.md is empty"
    else if (dupmsg != "") printf "%s", dupmsg
    else {
        for (i = 1; i <= nd; i++)
            if (!(dl[i] in floor)) { print "app/" dl[i] " is on no floor (add it to the layers block of app/README.md)"; nviol++ }
        return 1
    }
    status = 2
    return 0
}
BEGIN {
    nd = split(dirlist, dl, " ")
    for (i = 1; i <= nd; i++) isdir[dl[i]] = 1
    for (i = 2; i < ARGC; i++) isfile[ARGV[i]] = 1
    nfiles = ARGC - 2
}
# app/README.md: the layers block
FNR == 1 { argno++ }
argno == 1 {
    if (!found && $0 ~ /^[ \t]*```[ \t]*layers[ \t]*$/) { found = inblock = 1; next }
    if (inblock && $0 ~ /^[ \t]*```/) { inblock = 0; next }
    if (inblock) {
        n = split($0, w)
        if (n == 0) next
        nfloors++
        for (i = 1; i <= n; i++) {
            if (w[i] in floor) dupmsg = dupmsg "check-layers: " w[i] " is on two floors of the layers block\n"
            floor[w[i]] = nfloors
        }
    }
    next
}
# the sources
{
    if (!ready && !setup()) exit
    if (FNR == 1) {
        src = folder_of(FILENAME)
        here = FILENAME; sub(/\/[^\/]*$/, "", here)
        if (src == "") violation(FILENAME " is on no floor (a source directly in app/, outside every folder)")
    }
    # an unknown folder was reported once above; its includes are not judged
    if (src == "" || !(src in floor)) next
    if ($0 !~ /^[ \t]*#[ \t]*include[ \t]*["<]/) next
    line = $0
    sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
    angle = (substr(line, 1, 1) == "<")
    inc = substr(line, 2); sub(/[">].*/, "", inc)
    if (angle) {
        first = inc; sub(/\/.*/, "", first)
        if (inc !~ /\// || !((first in isdir) || (first in floor))) next   # a system header
        target = normalize("app/" inc)
    } else {
        if (inc !~ /\//) { nincludes++; next }      # "y.h": its own folder
        target = normalize(here "/" inc)            # beside the file first,
        if (!(target in isfile)) {                  # then under -Iapp
            target = normalize("app/" inc)
            first = inc; sub(/\/.*/, "", first)
            if (!(target in isfile) && !((first in isdir) || (first in floor))) next   # not ours
        }
    }
    nincludes++
    dst = folder_of(target)
    if (dst == "" || dst == src) next
    where = FILENAME ":" FNR ": " src " -> " dst
    if (!(dst in floor)) violation(where " (" dst " is on no floor)")
    else if (floor[dst] > floor[src]) violation(where " (" dst " is above " src ")")
    else if (floor[dst] == floor[src]) violation(where " (" dst " and " src " share a floor)")
}
END {
    if (!ready) setup()
    if (status) { print "0 passed, 1 failed"; exit status }
    nbad = 0; for (f in badfile) nbad++
    printf "layers: %d floors, %d files, %d includes of app headers: %d violation%s", nfloors, nfiles, nincludes, nviol, (nviol == 1 ? "" : "s")
    if (nbad) printf " in %d file%s", nbad, (nbad == 1 ? "" : "s")
    print ""
    if (nviol) { print "0 passed, 1 failed"; exit 1 }
    print "1 passed, 0 failed"
}
' app/README.md "${files[@]}"
