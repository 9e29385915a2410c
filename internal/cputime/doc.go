// Package cputime reads CPU time from getrusage for the benchmarks: on a
// shared machine it moves less with the load than the wall clock.
// Process is there on unix, Thread on Linux.
package cputime
