#!/usr/bin/env bash
# release.sh VERSION — release every module of the repository at VERSION:
# each module's requirements on the others are set to VERSION (and any
# relative replace of them dropped), the change is committed, and each
# module is tagged the Go way: shared/VERSION, services/<name>/VERSION,
# tests/VERSION, and VERSION for the root module. Modules are found, not
# listed: every go.mod under shared/, services/ and tests/. go.work's
# version-scoped replaces move to VERSION as well, so local development
# keeps resolving every module to its directory (a workspace module does
# not replace the versions other modules require; the replaces do).
# Run from the repository root on a clean tree; push the tags yourself.
set -euo pipefail

version="${1:-}"
if [[ ! "$version" =~ ^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
	echo "release: VERSION must look like v1.2.3, got '$version'" >&2
	exit 2
fi
root="$(git rev-parse --show-toplevel)"
cd "$root"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "release: the working tree has uncommitted changes" >&2
	exit 1
fi
prefix="$(sed -n 's/^module[[:space:]]*//p' go.mod)"
dirs=()
while IFS= read -r mod; do
	dirs+=("$(dirname "$mod")")
done < <(find shared services tests -name go.mod -not -path '*/testdata/*' | sort)
for tag in "$version" "${dirs[@]/%//$version}"; do
	if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
		echo "release: tag $tag exists already" >&2
		exit 1
	fi
done

for dir in "${dirs[@]}"; do
	edits=()
	# Every in-repo module this one requires (directly or not) moves to
	# VERSION; its replace, if any, goes.
	while IFS= read -r dep; do
		[ -n "$dep" ] || continue
		edits+=("-require=$dep@$version" "-dropreplace=$dep")
	done < <(go mod edit -json "$dir/go.mod" |
		grep -o "\"Path\": \"$prefix/[^\"]*\"" | sed 's/"Path": "\(.*\)"/\1/' |
		grep -vx "$prefix/$dir" | sort -u)
	if [ ${#edits[@]} -gt 0 ]; then
		go mod edit "${edits[@]}" "$dir/go.mod"
	fi
	git add "$dir/go.mod"
	mod="$prefix/$dir"
	for old in $(go work edit -json | awk -v m="\"$mod\"" '
		/"Old"/ { inold = 1 } /"New"/ { inold = 0 }
		inold && $1 == "\"Path\":" { hit = ($2 == m || $2 == m ",") }
		inold && hit && $1 == "\"Version\":" { gsub(/[",]/, "", $2); print $2; hit = 0 }'); do
		go work edit "-dropreplace=$mod@$old"
	done
	go work edit "-replace=$mod@$version=./$dir"
done
git add go.work
if ! git diff --cached --quiet; then
	git commit -q -m "release $version: modules require each other at $version"
fi
git tag "$version"
for dir in "${dirs[@]}"; do
	git tag "$dir/$version"
done
echo "release: tagged $version and ${#dirs[@]} modules at $(git rev-parse --short HEAD):"
printf '  %s\n' "${dirs[@]/%//$version}"
