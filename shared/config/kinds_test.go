package config_test

// The registry tells config the provider kinds (config.SetProviderKinds
// in its init); linking it here lets this package's tests read configs
// with providers, as every program does.
import _ "github.com/countersign/countersign/shared/providers/registry"
