#!/usr/bin/env bash
set -euo pipefail
# join a worker (kubeadm)
kubeadm join 10.0.0.10:6443 --token negk1m.7ymit3qzmo30gygj \
  --discovery-token-ca-cert-hash sha256:c664a7b0039afb007996f09dc2923f547e821171418a579be98d0612c6295b39
# docs: kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef
