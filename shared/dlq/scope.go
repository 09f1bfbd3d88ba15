package dlq

import "slices"

// scope drops the entries of tenants outside s.Tenants (when set), adding
// their ids to notFound.
func (s Selection) scope(entries []stored, notFound []string) ([]stored, []string) {
	if s.Tenants == nil {
		return entries, notFound
	}
	kept := entries[:0]
	for _, e := range entries {
		if slices.Contains(s.Tenants, e.Tenant) {
			kept = append(kept, e)
		} else {
			notFound = append(notFound, e.ID)
		}
	}
	return kept, notFound
}
