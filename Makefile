# A small front door to Meson + Ninja. `make demo` and `make check` install what is missing first.
BUILD ?= build
SAN   ?= build-san
HOME_DEMO ?= $(CURDIR)/halong-data

.PHONY: all build deps demo check format bench clean

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

demo: build
	bash scripts/demo.sh $(BUILD)/src/cli/halong $(HOME_DEMO)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN)
