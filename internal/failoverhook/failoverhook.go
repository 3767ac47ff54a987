// Package failoverhook gives package monitor the seam of package failover
// that is not public API: an option that reserves other options for the
// caller that builds the group (the Monitor sets the group's provider and
// listener). Package failover fills the variable in when it is
// initialised.
package failoverhook

// Reserve returns a failover.Option (typed any, because failover imports
// this package) after which each option named in names fails New with
// "option <name>: <why>". Options given before it are not affected.
var Reserve func(why string, names ...string) any
