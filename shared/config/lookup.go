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

// Provider returns the tenant's provider whose ID (its kind, or its name
// for kind hmac) is id, pointing into t.
func (t *Tenant) Provider(id string) (*Provider, bool) {
	for i := range t.Providers {
		if t.Providers[i].ID() == id {
			return &t.Providers[i], true
		}
	}
	return nil, false
}
