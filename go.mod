module github.com/clnmf/clnmf

go 1.26.8

require (
	github.com/ebitengine/purego v0.11.3
	github.com/sbinet/npyio v0.6.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/campoy/embedmd v1.0.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
)
