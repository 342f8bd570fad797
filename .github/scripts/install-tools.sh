#!/usr/bin/env bash
# Installs the command-line tools the workflows use, at pinned versions, into /usr/local/bin. Each archive is checked
# against the SHA-256 its project publishes for that release (Helm: the .sha256sum file beside the archive on
# get.helm.sh; kubeconform: the release's CHECKSUMS file) before anything is unpacked; a mismatch fails the job.
# Bump a version and its checksum together.
#
#   bash .github/scripts/install-tools.sh helm kubeconform
set -euo pipefail

HELM_VERSION=v3.19.0
HELM_SHA256=a7f81ce08007091b86d8bd696eb4d86b8d0f2e1b9f6c714be62f82f96a594496 # helm-v3.19.0-linux-amd64.tar.gz
KUBECONFORM_VERSION=v0.6.7
KUBECONFORM_SHA256=95f14e87aa28c09d5941f11bd024c1d02fdc0303ccaa23f61cef67bc92619d73 # kubeconform-linux-amd64.tar.gz

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch URL SHA256 FILE: download, then refuse the file unless its SHA-256 is the pinned one
fetch() {
  curl -fsSL --retry 3 -o "$3" "$1"
  echo "$2  $3" | sha256sum --check --strict -
}

for tool in "$@"; do
  case "$tool" in
    helm)
      fetch "https://get.helm.sh/helm-${HELM_VERSION}-linux-amd64.tar.gz" "$HELM_SHA256" "$work/helm.tar.gz"
      tar -xzf "$work/helm.tar.gz" -C "$work" linux-amd64/helm
      sudo install -m 0755 "$work/linux-amd64/helm" /usr/local/bin/helm
      helm version
      ;;
    kubeconform)
      fetch "https://github.com/yannh/kubeconform/releases/download/${KUBECONFORM_VERSION}/kubeconform-linux-amd64.tar.gz" \
        "$KUBECONFORM_SHA256" "$work/kubeconform.tar.gz"
      tar -xzf "$work/kubeconform.tar.gz" -C "$work" kubeconform
      sudo install -m 0755 "$work/kubeconform" /usr/local/bin/kubeconform
      kubeconform -v
      ;;
    *)
      echo "unknown tool: $tool" >&2
      exit 2
      ;;
  esac
done
