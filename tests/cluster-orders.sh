#!/bin/sh
# cluster-orders.sh N ARGS... - runs tests/cluster-eval ARGS with the tie
# orders 1..N (-o) and prints the B-cubed F1 of each and their mean.
# Online clustering depends on the order of items, and the AllSides set
# gives every item of a story the same time: one order is one sample, and
# variants are compared by their mean (docs/CLUSTERING.md, "Measuring").
n=${1:?usage: cluster-orders.sh N cluster-eval-args...}
shift
eval=${CLUSTER_EVAL:-$(dirname "$0")/cluster-eval}
i=1
while [ "$i" -le "$n" ]; do
	"$eval" -o "$i" "$@" | awk -v o="$i" '/^b-cubed/ { print "order " o ": " $7 }'
	i=$((i + 1))
done | awk '{ print; s += $3; k++ } END { if (k) printf "mean of %d orders: %.4f\n", k, s / k }'
