#!/usr/bin/env bash
# Submits one night's org scan to AWS Batch: an array job of SHARDS children
# (child INDEX scans shard INDEX/SHARDS: AWS_BATCH_JOB_ARRAY_INDEX and
# AWS_BATCH_JOB_ARRAY_SIZE), then the merge job, which Batch starts only
# after every child has finished (a dependency on the array's parent).
# Run it from a scheduler you already have: an EventBridge Scheduler
# target, cron on a bastion, a CI schedule.
#
#   deploy/aws-batch/submit.sh JOB_QUEUE [SHARDS]
#
# Once: aws batch register-job-definition --cli-input-json file://deploy/aws-batch/scan-job-definition.json
#       aws batch register-job-definition --cli-input-json file://deploy/aws-batch/merge-job-definition.json
# (after replacing ACCOUNT, REGION and the EFS file system id), and put
# repos.txt at the root of the EFS access point (/data/repos.txt).
set -euo pipefail

queue=${1:?usage: submit.sh JOB_QUEUE [SHARDS]}
shards=${2:-4}
if ! [[ "$shards" =~ ^[0-9]+$ ]] || [ "$shards" -lt 2 ] || [ "$shards" -gt 10000 ]; then
    echo "submit.sh: SHARDS must be 2..10000 (an array job's size), not '$shards'" >&2
    exit 2
fi
night=$(date -u +%Y%m%dT%H%M)

scan=$(aws batch submit-job \
    --job-name "keyhound-org-scan-$night" \
    --job-queue "$queue" \
    --job-definition keyhound-org-scan \
    --array-properties "size=$shards" \
    --query jobId --output text)
echo "scan job: $scan ($shards shards)"

merge=$(aws batch submit-job \
    --job-name "keyhound-org-merge-$night" \
    --job-queue "$queue" \
    --job-definition keyhound-org-merge \
    --depends-on "jobId=$scan" \
    --container-overrides "environment=[{name=SCAN_JOB_ID,value=$scan},{name=SHARDS,value=$shards}]" \
    --query jobId --output text)
echo "merge job: $merge (after $scan; reports in /data/reports/$scan/)"
