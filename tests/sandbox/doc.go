// Package sandbox plays e-signature providers against countersign: it
// generates realistic envelope lifecycles, delivers each lifecycle's
// callbacks to countersign's ingress over real HTTP in every provider's own
// wire format and signing scheme (drops, duplicates, reordering,
// redeliveries, outages and forgeries included), serves the subset of each
// provider's REST API that countersign polls and downloads from, and knows
// the truth, so tests and the demo can compare every envelope countersign
// ends up with against what the provider says happened.
//
// The signing code here is written independently of shared/providers, from
// the providers' published specifications, so a delivery that countersign
// accepts has been signed by a second implementation.
package sandbox
