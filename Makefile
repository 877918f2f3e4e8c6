# A small front door to Meson + Ninja. `make demo`, `make check` and `make fuzz` install what is
# missing first.
BUILD ?= build
SAN   ?= build-san
FUZZ  ?= build-fuzz
HOME_DEMO ?= $(CURDIR)/halong-data
# make fuzz: each target for FUZZ_SECONDS (or FUZZ_RUNS executions), FUZZ_TARGETS to choose
# (e.g. FUZZ_TARGETS="text query"), FUZZ_MERGE=1 to merge what they found into fuzz/corpus.
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?=
FUZZ_TARGETS ?=
FUZZ_MERGE   ?=

.PHONY: all build deps demo check fuzz fuzz-deps fuzz-build fuzz-merge format bench clean

all: build

deps:
	@bash scripts/deps.sh
	@bash scripts/npm.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Dtests=false

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(SAN)/build.ninja:
	meson setup $(SAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false

check: deps $(SAN)/build.ninja
	ninja -C $(SAN)
	python3 tests/run.py --build $(SAN)

# Fuzzing (fuzz/README.md): clang's libFuzzer with ASan and UBSan in its own build folder; only
# the library and the fuzz targets are built there.
fuzz-deps:
	@bash scripts/deps.sh fuzz

$(FUZZ)/build.ninja: | fuzz-deps
	CC=clang CXX=clang++ meson setup $(FUZZ) --buildtype=debugoptimized -Dtests=false \
	    -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false

fuzz-build: fuzz-deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ) fuzz-targets

fuzz: fuzz-build
	FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_RUNS="$(FUZZ_RUNS)" FUZZ_TARGETS="$(FUZZ_TARGETS)" \
	    FUZZ_MERGE="$(FUZZ_MERGE)" python3 fuzz/run.py --build $(FUZZ)

fuzz-merge: fuzz-build
	FUZZ_TARGETS="$(FUZZ_TARGETS)" python3 fuzz/run.py --build $(FUZZ) --merge-only

demo: build
	bash scripts/demo.sh $(BUILD)/src/cli/halong $(HOME_DEMO)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ)
