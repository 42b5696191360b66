#!/usr/bin/env bash
# Flink GPU external-resource discovery: prints the indexes of the GPUs visible to this TaskManager.
nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | paste -sd, -
