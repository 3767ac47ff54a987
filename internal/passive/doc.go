// Package passive is the status rule's traffic signal, in one place for
// the two that judge live calls: a Monitor's status rule (over its series
// engine's window) and a standalone instrument.Dependency (over its own
// window). Both say the same thing in the same words for the same figures.
package passive
