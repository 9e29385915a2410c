# clnmf: make (build the command), make test, make demo, make bench.
GO       ?= go
BIN      ?= bin
# Fuzz budget per target for fuzz-short, as a count of executions: a
# duration races Go 1.26's fuzz coordinator at the deadline and can fail with
# "context deadline exceeded" and no failing input (go.dev/issue/75804).
FUZZTIME ?= 10000x

.PHONY: all build install test test-gpu-profile gpu-check vet oclgrind oclgrind-ci fuzz-short bench demo setup clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/nmf ./cmd/nmf

install:
	CGO_ENABLED=0 $(GO) install ./cmd/nmf

setup:
	bash .ci/setup

# The whole test suite: vet, a cgo-free build, and every package's tests
# (the OpenCL tests run on PoCL where no GPU is present).
test: vet
	CGO_ENABLED=0 $(GO) build ./...
	$(GO) test -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

# The OpenCL tests (the gpu package: its unit tests, golden and conformance
# suites) under the GPU profile: on a CPU device (PoCL) they run exactly the
# kernels, parameters and plans a GPU gets. make test runs them under the
# device's own profile (cpu on PoCL). -v only for the line saying which
# device and profile ran.
test-gpu-profile:
	@log=$$(mktemp); CLNMF_OPENCL_PROFILE=gpu $(GO) test -count=1 -timeout 30m -v ./gpu/ >$$log 2>&1; st=$$?; \
	  grep -E '^(ok|FAIL|gpu: tests ran)' $$log; \
	  if [ $$st -ne 0 ]; then grep -E -B2 -A8 -e '--- FAIL' $$log | head -200; fi; rm -f $$log; exit $$st

# On a machine with a GPU, ≤ 5 minutes: devices, golden + conformance
# pinned to it, nmf bench --roofline (float32, 20000² k=64, against the
# device's peak and copy bandwidth) with and without scikit-learn, all in
# gpu-check.md (see .ci/gpu-check; DEVICE=opencl QUICK=1 is the stand-in
# run on PoCL; .ci/gpu-check-remote runs it on a machine without Go).
gpu-check:
	bash .ci/gpu-check

# The kernel tests under oclgrind: it reports out-of-bounds accesses, data
# races and uninitialised reads on stderr but does not fail on them, so the
# log is searched for its error reports.
OCLGRIND_RUN ?= .
oclgrind:
	$(GO) test -c -o $(BIN)/gpu.test ./gpu
	bash .ci/oclgrind $(BIN)/gpu.test '$(OCLGRIND_RUN)'

# oclgrind-ci: the subset under both profiles (TestOclgrindKernels reaches
# every kernel the profile plans; the GEMM parameter sets run once).
oclgrind-ci:
	$(GO) test -c -o $(BIN)/gpu.test ./gpu
	CLNMF_OPENCL_PROFILE=cpu bash .ci/oclgrind $(BIN)/gpu.test 'TestOclgrind'
	CLNMF_OPENCL_PROFILE=gpu bash .ci/oclgrind $(BIN)/gpu.test '^TestOclgrind$$|^TestOclgrindKernels$$'

# A package whose tests do not compile fails here: go test -list's error
# would otherwise drop its fuzz targets silently.
fuzz-short:
	@pkgs=$$($(GO) list ./...) || exit 1; for p in $$pkgs; do \
	  fz=$$($(GO) test -list 'Fuzz.*' $$p) || { echo "fuzz-short: listing $$p's fuzz targets failed"; exit 1; }; \
	  for f in $$(echo "$$fz" | grep '^Fuzz'); do \
	    echo "fuzz $$p $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; \
	done

bench: build
	$(BIN)/nmf bench --compare --markdown > BENCHMARKS.md.tmp && mv BENCHMARKS.md.tmp BENCHMARKS.md

# Sets up a fresh machine, builds the command and factorises the shipped
# swimmer images: the parts appear in swimmer.nmf/components.png.
demo: setup build
	$(BIN)/nmf fit -k 17 --svd exact --force --out swimmer.nmf testdata/samples/swimmer
	@echo "see swimmer.nmf/components.png and swimmer.nmf/report.json"

clean:
	rm -rf $(BIN) swimmer.nmf
