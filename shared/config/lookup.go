package config

// Tenant returns the tenant with id, pointing into f.
func (f *File) Tenant(id string) (*Tenant, bool) {
	for i := range f.Tenants {
		if f.Tenants[i].ID == id {
			return &f.Tenants[i], true
		}
	}
	return nil, false
}

// Provider returns the tenant's provider of kind, pointing into t.
func (t *Tenant) Provider(kind string) (*Provider, bool) {
	for i := range t.Providers {
		if t.Providers[i].Kind == kind {
			return &t.Providers[i], true
		}
	}
	return nil, false
}
