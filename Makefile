# partnernet -- GNU Makefile.
#
#   make            build ./partnernet (release, -O2)
#   make check      ASan+UBSan build of everything, run every test; ends "N passed, N failed"
#   make demo       build and run the demo
#   make bench      benchmarks (numbers and ratios to reference brokers)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make install    PREFIX=/usr/local DESTDIR= (scripts/install.sh: program, data, man page, unit)
#   make deb        build/partnernet_VERSION_ARCH.deb (PREFIX=/usr; scripts/deb.sh)
#   make clean
#
# Each target that compiles first runs scripts/deps.sh, which installs the
# Debian packages it needs when run as root and otherwise prints the line.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
VERSION := 0.1.0
FUZZ_SECONDS ?= 60

PKGS := jansson libxml-2.0 libuv openssl sqlite3
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
# http-parser and wslay ship no pkg-config file in Debian 12.
PKG_LIBS = $(shell pkg-config --libs $(PKGS)) -lhttp_parser -lwslay

# -Wformat-truncation stays on: a value that does not fit is refused, and
# display text that may be cut goes through strFormat (src/core/str.h),
# which marks the cut with "...".
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -DPN_VERSION='"$(VERSION)"' \
	-DPN_DATADIR='"$(PREFIX)/share/partnernet"'
CFLAGS ?= -O2 -g
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

LIB_SRC := $(wildcard src/core/*.c src/registry/*.c src/label/*.c src/policy/*.c src/store/*.c \
	src/exchange/*.c src/node/*.c src/mqtt/*.c src/federation/*.c src/http/*.c src/plan/*.c)
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*.c)
IT_SRC := $(wildcard tests/it/*.c)
IT_BIN := $(IT_SRC:tests/it/%.c=build/rel/it/%)

# Release objects in build/rel, sanitizer objects in build/san.
REL_OBJ := $(LIB_SRC:%.c=build/rel/%.o)
SAN_OBJ := $(LIB_SRC:%.c=build/san/%.o)
REL_CLI := $(CLI_SRC:%.c=build/rel/%.o)
SAN_CLI := $(CLI_SRC:%.c=build/san/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=build/san/tests/%)

.PHONY: all check demo bench fuzz install deb clean deps-build deps-check deps-fuzz format FORCE

all: deps-build partnernet

deps-build:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh check
deps-fuzz:
	@scripts/deps.sh fuzz

# PREFIX is compiled into the objects that use PN_DATADIR: they are rebuilt
# when it changes (make deb builds for /usr, make for /usr/local).
build/prefix: FORCE
	@mkdir -p build
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' >$@
build/rel/src/cli/main.o build/rel/src/cli/cmd_serve.o build/rel/src/cli/man.o: build/prefix
build/san/src/cli/main.o build/san/src/cli/cmd_serve.o build/san/src/cli/man.o: build/prefix

partnernet: $(REL_OBJ) $(REL_CLI)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lm

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	@$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/san/partnernet: $(SAN_OBJ) $(SAN_CLI)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm

build/san/tests/%: tests/unit/%.c $(SAN_OBJ)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) $(shell pkg-config --cflags cmocka) -MMD -MP \
		-o $@ $< $(SAN_OBJ) $(PKG_LIBS) $(shell pkg-config --libs cmocka) -lm

check: deps-check
	@$(MAKE) --no-print-directory build/san/partnernet $(TEST_BIN) $(IT_BIN)
	@tests/run.sh build/san/partnernet $(TEST_BIN)

# Integration-test clients (real MQTT clients built on libmosquitto).
build/rel/it/%: tests/it/%.c tests/it/lib/mqclient.h
	@mkdir -p $(dir $@)
	@echo "  IT      $@"
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(shell pkg-config --libs libmosquitto 2>/dev/null || echo -lmosquitto) -lm

# The demo shows the sample exercise communities: it loads the sample
# registry after the shipped one (a node's default registry has none).
# The build's output is shown only when it fails (scripts/demo.sh).
demo: export PARTNERNET_REGISTRY := data/registry:data/sample/registry
demo: deps-build
	@MAKE='$(MAKE)' scripts/demo.sh

# Benchmark load generators are plain clients (libmosquitto), not linked
# with partnernet's code.
build/rel/bench/%: bench/%.c tests/it/lib/mqclient.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -lmosquitto -lpthread -lm

bench: all
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(BENCH_SRC:bench/%.c=build/rel/bench/%)
	@bench/run.sh

# libFuzzer needs clang; fuzz targets link the library built with it.
FUZZ_CC := clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Wno-unknown-warning-option
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
build/fuzz/%: fuzz/%.c $(LIB_SRC) $(wildcard fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE_CFLAGS) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(LIB_SRC) $(PKG_LIBS) -lm

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

install: all
	@PREFIX='$(PREFIX)' DESTDIR='$(DESTDIR)' scripts/install.sh partnernet

deb:
	@scripts/deps.sh deb
	@$(MAKE) --no-print-directory PREFIX=/usr all
	@scripts/deb.sh partnernet

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard src/*/*.h) $(TEST_SRC) $(FUZZ_SRC) $(BENCH_SRC)

clean:
	rm -rf build partnernet

-include $(shell find build -name '*.d' 2>/dev/null)
