#!/usr/bin/env python3
"""Footprint report for libdescent on a Cortex-M or RISC-V rv32 target, with budget checks.

Run by the `footprint` target and the `firmware_<cpu>_footprint` ctest test of the Cortex-M
presets (ports/cortex-m/CMakeLists.txt passes every path) and, with --arch riscv, of the
rv32imac / rv32imafc presets (ports/riscv/CMakeLists.txt). Standard library only; any
Python 3.8+ will do.

What it measures
  flash / RAM   Link probes (probe.c), each calling one part of the API, linked with
                --gc-sections. From each probe's link map: the bytes of .text + .rodata
                (+ .data's flash copy) and .data + .bss that come from libdescent.a, and those
                that libdescent pulls from libm, libc and libgcc (soft double, pow, expf, ...).
  stack         Worst-case stack of dsc_fit: a walk of GCC's call graph (-fcallgraph-info=su,
                one .ci file per library object; the frame of every library function), with
                indirect calls resolved to the kernel-table entries (kScalarKernels) and the
                frames of libm / libgcc / libc functions read from their prologues in the
                linked ELF (push, vpush, sub sp). The user's on_epoch callback and a
                parallel_for pool are not counted (firmware has neither).
                RISC-V: frames from addi sp,sp,-N (c.addi16sp) plus the frame that a
                `jal t0,__riscv_save_N` allocates (picolibc is built with -msave-restore);
                the runtime functions each library function calls are also read from the
                R_RISCV_CALL / R_RISCV_CALL_PLT relocations of the objects (objdump -dr).
  measured      With --measure-firmware: the test firmware runs under the emulator and prints
                the deepest stack dsc_fit used (painted stack); the static worst case must
                not be below it.
  arena         dsc_arena_size() as the target computes it (arena_sizes.c run under QEMU).
  runtime       The test firmware must not contain an allocator, C++ exception or RTTI
                support (nm on the ELF), and libdescent.a may only need allowlisted symbols
                (nm -u).

Exit status 1 when a runtime check fails or an enforced budget is exceeded. A budget named in
--report-only is printed with its figure and marked, but does not fail the run: use it only for
a budget that the library cannot meet yet, and say why next to the flag.
"""
import argparse
import collections
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------------------------------------
# Link maps


def classify(path):
    base = os.path.basename(path)
    if "libdescent.a(" in base or base == "libdescent.a":
        return "libdescent"
    if "libc.a(libm_" in base:
        return "libm"  # picolibc: libm's members live in libc.a
    for lib, name in (("libm.a(", "libm"), ("libm_nano.a(", "libm"), ("libgcc.a(", "libgcc"),
                      ("libc_nano.a(", "libc"), ("libc.a(", "libc"), ("libnosys.a(", "libc")):
        if lib in base:
            return name
    return "app"


FLASH_SECTIONS = {".isr_vector", ".text", ".rodata", ".init_array", ".ARM.exidx", ".ARM.extab"}
RAM_SECTIONS = {".data", ".bss"}


def parse_map(path):
    """{(owner, kind): bytes} with kind in text / rodata / data / bss / other."""
    sizes = collections.Counter()
    members = collections.Counter()
    with open(path) as f:
        lines = f.read().split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.startswith("Linker script and memory map"))
    except StopIteration:
        raise SystemExit(f"{path}: not a GNU ld map file")
    out_sec = None
    pending = None
    entry = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    cont = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    for line in lines[start:]:
        m = re.match(r"^(\.\S+)", line)
        if m:
            out_sec = m.group(1)
            pending = None
            continue
        if out_sec is None:
            continue
        m = entry.match(line)
        name = size = owner = None
        if m and not m.group(1).startswith("*"):
            name, size, owner = m.group(1), int(m.group(3), 16), m.group(4)
        elif m and m.group(1) == "*fill*":
            continue
        else:
            m2 = re.match(r"^ (\.\S+|COMMON)\s*$", line)
            if m2:
                pending = m2.group(1)
                continue
            m3 = cont.match(line)
            if m3 and pending:
                name, size, owner = pending, int(m3.group(2), 16), m3.group(3)
            pending = None
        if name is None or size == 0:
            continue
        who = classify(owner)
        if out_sec == ".text" or out_sec == ".isr_vector":
            kind = "rodata" if name.startswith(".rodata") else "text"
        elif out_sec == ".rodata":
            kind = "rodata"
        elif out_sec in (".init_array", ".ARM.exidx", ".ARM.extab"):
            kind = "rodata"
        elif out_sec == ".data":
            kind = "data"
        elif out_sec == ".bss":
            kind = "bss"
        else:
            continue  # debug info, comments, attributes
        sizes[(who, kind)] += size
        if who not in ("app", "libdescent") and kind != "bss":
            members[os.path.basename(owner)] += size
    return sizes, members


def flash_ram(sizes, owners):
    flash = sum(sizes[(o, k)] for o in owners for k in ("text", "rodata", "data"))
    ram = sum(sizes[(o, k)] for o in owners for k in ("data", "bss"))
    return flash, ram


# ---------------------------------------------------------------------------------------------
# Stack: GCC call graph (.ci, VCG) for the library, prologues for precompiled code


def parse_ci(paths):
    """Returns (frames, edges, qualifiers, by_symbol): node title -> bytes, title -> callees."""
    frames, quals, edges, by_symbol = {}, {}, collections.defaultdict(list), {}
    node_re = re.compile(r'^node: \{ title: "([^"]+)" label: "([^"]*)"')
    edge_re = re.compile(r'^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
    for path in paths:
        with open(path) as f:
            for line in f:
                m = node_re.match(line)
                if m:
                    title, label = m.groups()
                    fm = re.search(r"\\n(\d+) bytes \(([^)]*)\)", label)
                    if fm:
                        frames[title] = int(fm.group(1))
                        quals[title] = fm.group(2)
                        sym = title.rsplit(":", 1)[-1]
                        by_symbol.setdefault(sym, title)
                    continue
                m = edge_re.match(line)
                if m:
                    edges[m.group(1)].append(m.group(2))
    return frames, edges, quals, by_symbol


CALL_RELOCS = {"R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP19", "R_ARM_CALL",
               "R_ARM_JUMP24", "R_ARM_THM_JUMP11", "R_ARM_THM_JUMP8"}
# RISC-V: calls and tail calls (auipc+jalr pairs, jal, c.j); branches and relaxation markers
# are not address-taking either.
RISCV_CALL_RELOCS = {"R_RISCV_CALL", "R_RISCV_CALL_PLT", "R_RISCV_JAL", "R_RISCV_RVC_JUMP"}
RISCV_NOT_TAKEN = RISCV_CALL_RELOCS | {"R_RISCV_BRANCH", "R_RISCV_RVC_BRANCH", "R_RISCV_RELAX",
                                       "R_RISCV_ALIGN"}
RELOC_PREFIX = {"arm": "R_ARM_", "riscv": "R_RISCV_"}


def code_address_taken(objdump_r_output, arch="arm"):
    """Symbols that code takes the address of (not direct calls): literal-pool words and
    movw/movt pairs in .text sections (RISC-V: lui/auipc + addi), e.g. a row function handed
    to a kernel template."""
    taken = set()
    in_text = False
    prefix = RELOC_PREFIX[arch]
    not_taken = CALL_RELOCS if arch == "arm" else RISCV_NOT_TAKEN
    for line in objdump_r_output.split("\n"):
        if line.startswith("RELOCATION RECORDS FOR"):
            in_text = "[.text" in line
            continue
        parts = line.split()
        if in_text and len(parts) >= 3 and parts[1].startswith(prefix) and parts[1] not in not_taken:
            sym = parts[2].split("+")[0]
            if sym.startswith(".text."):
                sym = sym[len(".text."):]
            taken.add(sym)
    return taken


def kernel_table_targets(objdump_r_output, arch="arm"):
    """Functions whose addresses the scalar kernel table holds (the indirect-call targets)."""
    targets = set()
    in_table = False
    for line in objdump_r_output.split("\n"):
        if line.startswith("RELOCATION RECORDS FOR"):
            in_table = "kScalarKernels" in line
            continue
        if in_table:
            parts = line.split()
            if len(parts) >= 3 and parts[1].startswith(RELOC_PREFIX[arch]):
                sym = parts[2].split("+")[0]
                if sym.startswith(".text."):
                    sym = sym[len(".text."):]
                targets.add(sym)
    return targets


def binary_frames(objdump_d_output):
    """symbol -> (frame bytes, callees, dynamic) from the prologues in a linked ELF.

    Frames add every push / vpush / sub sp of the function (all paths together, an upper
    bound); callees are bl and tail-call b targets; a function that does not end in a return
    or branch falls through into the next one (e.g. __aeabi_dsub into __adddf3)."""
    funcs, order, last_op = {}, [], {}
    cur = None
    head = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
    for line in objdump_d_output.split("\n"):
        m = head.match(line)
        if m:
            cur = m.group(2)
            funcs[cur] = [0, set(), False]
            order.append(cur)
            continue
        if cur is None or "\t" not in line:
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip().endswith(":"):
            continue
        op = parts[1].strip()
        args = parts[2].strip() if len(parts) > 2 else ""
        if op in (".word", ".short", ".byte", "nop", "nop.w") or op.startswith("udf"):
            continue
        last_op[cur] = (op, args)
        f = funcs[cur]
        regs = re.search(r"\{([^}]*)\}", args)
        if op in ("push", "push.w") or (op.startswith("stmdb") and args.startswith("sp!")):
            f[0] += 4 * count_regs(regs.group(1) if regs else "")
        elif op.startswith("vpush") or (op.startswith("vstmdb") and args.startswith("sp!")):
            f[0] += count_vregs(regs.group(1) if regs else "")
        elif op.startswith("sub") and re.match(r"^sp, (sp, )?#", args):
            f[0] += int(args.split("#")[1].split()[0], 0)
        elif op.startswith("sub") and args.startswith("sp,"):
            f[2] = True
        elif op in ("bl", "b", "b.w", "b.n") or re.match(r"^b(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)(\.[nw])?$", op):
            t = re.search(r"<([^>+]+)>", args)
            if t and t.group(1) != cur:
                f[1].add(t.group(1))
        elif op.startswith("blx"):
            f[2] = True
    for i, name in enumerate(order[:-1]):
        op, args = last_op.get(name, ("", ""))
        ends = (op in ("bx", "b", "b.w", "b.n") or
                (op.startswith("pop") and "pc" in args) or
                (op.startswith("ldm") and "pc" in args) or
                (op.startswith("ldr") and args.startswith("pc")))
        if not ends:
            funcs[name][1].add(order[i + 1])
    return {k: (v[0], v[1], v[2]) for k, v in funcs.items()}


RISCV_BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "blez", "bgez",
                  "bltz", "bgtz", "bgt", "ble", "bgtu", "bleu", "c.beqz", "c.bnez"}
RISCV_JUMPS = {"jal", "j", "c.j", "c.jal", "jalr", "jr", "c.jr", "c.jalr", "tail", "call"}
RISCV_ENDS = {"ret", "j", "c.j", "jr", "c.jr", "tail", "mret"}


def riscv_sp_imm(op, args):
    """N for an instruction that adds the constant N to sp (addi/add sp,sp,N, c.addi16sp)."""
    if op in ("addi", "add", "c.addi", "c.addi16sp"):
        m = re.match(r"^sp,(?:sp,)?(-?(?:0x[0-9a-f]+|\d+))$", args.replace(" ", ""))
        if m:
            return int(m.group(1), 0)
    return None


def riscv_save_frame(entry, insns, addrs):
    """Bytes that libgcc's __riscv_save_N allocates, by stepping through it from its entry
    (the save routines share code through jumps and `sub sp,sp,t1`) up to `jr t0`."""
    index = {a: i for i, a in enumerate(addrs)}
    pc, sp, t1 = entry, 0, 0
    for _ in range(64):
        if pc not in insns:
            return None
        op, args = insns[pc]
        a = args.replace(" ", "")
        imm = riscv_sp_imm(op, args)
        if imm is not None:
            sp += imm
        elif op in ("li", "c.li") and a.startswith("t1,"):
            t1 = int(a[3:], 0)
        elif op == "sub" and a == "sp,sp,t1":
            sp -= t1
        elif op in ("j", "c.j"):
            pc = int(a.split("<")[0], 16)
            continue
        elif op in ("jr", "c.jr") and a == "t0":
            return -sp
        i = index[pc] + 1
        if i >= len(addrs):
            return None
        pc = addrs[i]
    return None


def binary_frames_riscv(objdump_d_output):
    """binary_frames for an rv32 ELF: symbol -> (frame bytes, callees, dynamic).

    A frame adds every addi sp,sp,-N of the function (all paths together, an upper bound)
    and the frame of each __riscv_save_N it enters with `jal t0` (libgcc's -msave-restore
    prologues, which picolibc's libm uses); __riscv_restore_N tail jumps end a function.
    Callees are jal / auipc+jalr targets and jumps or branches to another function's entry;
    an indirect jalr marks the function dynamic."""
    funcs, order, last_op, insns, addrs, saves, starts = {}, [], {}, {}, [], {}, {}
    cur = None
    head = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
    for line in objdump_d_output.split("\n"):
        m = head.match(line)
        if m:
            cur = m.group(2)
            funcs[cur] = [0, set(), False]
            order.append(cur)
            starts[cur] = int(m.group(1), 16)
            saves[cur] = []
            continue
        if cur is None or "\t" not in line:
            continue
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].strip().endswith(":"):
            continue
        addr = int(parts[0].strip()[:-1], 16)
        op = parts[1].strip()
        args = parts[2].strip() if len(parts) > 2 else ""
        insns[addr] = (op, args)
        addrs.append(addr)
        if op in (".word", ".short", ".byte", ".insn", "unimp", "c.unimp", "nop", "c.nop"):
            continue
        last_op[cur] = (op, args)
        f = funcs[cur]
        a = args.replace(" ", "")
        imm = riscv_sp_imm(op, args)
        if imm is not None:
            if imm < 0:
                f[0] += -imm
        elif op in ("add", "sub", "c.add", "c.sub", "mv", "c.mv") and a.startswith("sp,"):
            if not cur.startswith("__riscv_save_"):
                f[2] = True
        elif op in RISCV_JUMPS or op in RISCV_BRANCHES:
            t = re.search(r"<([^>+]+)>", args)
            if t:
                target = t.group(1)
                if target.startswith("__riscv_save_") and a.startswith("t0,"):
                    saves[cur].append(target)
                elif target.startswith("__riscv_restore_") or target == cur:
                    pass
                else:
                    f[1].add(target)
            elif op in ("jalr", "c.jalr") and a not in ("t0", "zero,0(ra)"):
                # An indirect call. (An indirect `jr reg` is a switch's jump table in libgcc /
                # libm, e.g. __divsf3's special cases: it stays inside the function.)
                f[2] = True
    addrs.sort()
    for name, targets in saves.items():
        for t in targets:
            size = riscv_save_frame(starts[t], insns, addrs) if t in starts else None
            if size is None:  # libgcc's layout for rv32 (ilp32): 16 bytes per 4 registers
                n = int(t.rsplit("_", 1)[1])
                size = 16 * (n // 4 + 1)
            funcs[name][0] += size
    for i, name in enumerate(order[:-1]):
        op, args = last_op.get(name, ("", ""))
        tail_restore = op in ("j", "c.j") and "<__riscv_restore_" in args
        if op not in RISCV_ENDS and not tail_restore and not name.startswith("__riscv_"):
            funcs[name][1].add(order[i + 1])
    return {k: (v[0], v[1], v[2]) for k, v in funcs.items()}


def reloc_calls_riscv(objdump_dr_output):
    """function -> the symbols it calls or tail-calls, from the R_RISCV_CALL(_PLT) / JAL
    relocations in an object's code (-ffunction-sections: one .text.<symbol> per function).
    GCC's .ci lists libcalls too; this also catches calls emitted after the call graph was
    written (memcpy/memset for block moves, save/restore helpers)."""
    calls = collections.defaultdict(set)
    sec = None
    for line in objdump_dr_output.split("\n"):
        if line.startswith("Disassembly of section "):
            m = re.match(r"^Disassembly of section \.text\.(\S+):$", line)
            sec = m.group(1) if m else None
            continue
        parts = line.split()
        if sec and len(parts) >= 3 and parts[1] in RISCV_CALL_RELOCS:
            target = parts[2].split("+")[0]
            if not target.startswith(".L") and target != sec:
                calls[sec].add(target)
    return calls


def symbol_aliases(nm_output):
    """name -> canonical name (the first symbol objdump would print at that address)."""
    by_addr = collections.defaultdict(list)
    for line in nm_output.split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWw":
            by_addr[parts[0]].append(parts[2])
    alias = {}
    for names in by_addr.values():
        for n in names:
            alias[n] = names
    return alias


def count_regs(text):
    n = 0
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            n += int(b.strip()[1:]) - int(a.strip()[1:]) + 1
        elif part:
            n += 1
    return n


def count_vregs(text):
    size = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        width = 8 if part.startswith("d") else 4
        if "-" in part:
            a, b = part.split("-")
            size += width * (int(b.strip()[1:]) - int(a.strip()[1:]) + 1)
        else:
            size += width
    return size


def worst_stack(root, frames, edges, by_symbol, indirect_for, bin_frames, alias, exclude=()):
    """Deepest path from root: (bytes, path, notes). Library functions whose names contain a
    string in `exclude` are left out (code that cannot run in the configuration measured)."""
    memo = {}
    notes = set()
    visiting = set()

    def resolve(target):
        if target in frames:
            return ("ci", target)
        if target in by_symbol:
            return ("ci", by_symbol[target])
        return ("bin", target)

    def bin_depth(sym, seen):
        if sym not in bin_frames:
            sym = next((n for n in alias.get(sym, []) if n in bin_frames), sym)
        if sym not in bin_frames:
            notes.add(f"no frame information for {sym}: counted as 0")
            return 0, [(sym, 0, "bin")]
        if sym in seen:
            notes.add(f"recursion through {sym} in precompiled code: counted once")
            return 0, []
        frame, callees, dynamic = bin_frames[sym]
        if dynamic:
            notes.add(f"{sym}: dynamic stack adjustment or indirect call (frame as read)")
        best, best_path = 0, []
        for c in callees:
            d, p = bin_depth(c, seen | {sym})
            if d > best:
                best, best_path = d, p
        return frame + best, [(sym, frame, "bin")] + best_path

    def depth(title):
        if title in memo:
            return memo[title]
        if title in visiting:
            notes.add(f"recursion through {title}: unbounded")
            return 10 ** 9, [(short(title), 0, "ci")]
        visiting.add(title)
        frame = frames[title]
        best, best_path = 0, []
        for t in edges.get(title, []):
            if t == "__indirect_call":
                cands = [("ci", by_symbol[s]) for s in indirect_for(title) if s in by_symbol]
            else:
                cands = [resolve(t)]
            for kind, name in cands:
                if kind == "ci" and any(x in name for x in exclude):
                    continue
                if kind == "ci":
                    d, p = depth(name)
                else:
                    d, p = bin_depth(name, frozenset())
                if d > best:
                    best, best_path = d, p
        visiting.discard(title)
        memo[title] = (frame + best, [(short(title), frame, "ci")] + best_path)
        return memo[title]

    d, p = depth(root)
    return d, p, sorted(notes)


def short(title):
    sym = title.rsplit(":", 1)[-1]
    try:
        out = subprocess.run(["c++filt", sym], capture_output=True, text=True).stdout.strip()
        out = out.replace("(anonymous namespace)::", "")
        return out.split("(")[0] or sym
    except OSError:
        return sym


# ---------------------------------------------------------------------------------------------
# Runtime checks

FORBIDDEN = [
    (r"^_?_?(malloc|free|calloc|realloc|memalign|_malloc_r|_free_r|_calloc_r|_realloc_r|_sbrk|_sbrk_r|sbrk)$", "heap allocator"),
    (r"^_Zn[wa]", "operator new"),
    (r"^_Zd[la]", "operator delete"),
    (r"^__cxa_(allocate_exception|throw|begin_catch|end_catch|rethrow|free_exception|call_unexpected)$", "C++ exceptions"),
    (r"^__gxx_personality", "C++ exception personality"),
    (r"^_Unwind_", "unwinder"),
    (r"^__aeabi_unwind_cpp_pr", "ARM EH personality"),
    (r"^_ZTI", "RTTI type_info"),
    (r"^_ZTS", "RTTI type name"),
    (r"^__dynamic_cast$", "RTTI dynamic_cast"),
    (r"^_ZTV(N10__cxxabiv|St9type_info)", "RTTI vtables"),
    (r"^__cxa_guard_", "thread-safe statics"),
    (r"^_ZSt", "C++ standard library"),
]

# What libdescent.a may need from outside itself.
ALLOWED_UNDEFINED = [
    r"^dsc::", r"^dsc_",
    r"^(memcpy|memset|memmove|memcmp|strcmp)$",
    r"^(exp|expf|log|logf|log1p|log1pf|pow|powf|sqrt|sqrtf|fabs|fabsf|exp2f|log2f)$",
    # libgcc's EABI run-time helpers: soft double, 64-bit integer division, conversions
    r"^__aeabi_(d|f|l|ul|i|ui|ll|ull)[a-z0-9]*$",
    r"^__aeabi_(uidiv|idiv|uidivmod|idivmod|ldivmod|uldivmod|lmul|llsl|llsr|lasr|lcmp|ulcmp|memcpy[48]?|memset[48]?|memclr[48]?|memmove[48]?)$",
]
# RISC-V has no EABI names: libgcc's generic soft-float, conversion and 64-bit helpers.
ALLOWED_UNDEFINED_RISCV = ALLOWED_UNDEFINED[:4] + [
    r"^__(add|sub|mul|div|neg)[sd]f3$",
    r"^__(eq|ne|lt|le|gt|ge|unord|cmp)[sd]f2$",
    r"^__(extendsfdf2|truncdfsf2)$",
    r"^__fix(uns)?[sd]f[sd]i$",
    r"^__float(un)?[sd]i[sd]f$",
    r"^__(ashl|ashr|lshr|mul|div|udiv|mod|umod)di3$",
    r"^__(clz|ctz|popcount)[sd]i2$",
    r"^__riscv_(save|restore)_[0-9]+$",
]


def nm(nm_tool, args):
    return subprocess.run([nm_tool] + args, capture_output=True, text=True, check=True).stdout


def runtime_checks(nm_tool, lib, elves, allowed=ALLOWED_UNDEFINED):
    problems = []
    for elf in elves:
        for line in nm(nm_tool, [elf]).split("\n"):
            parts = line.split()
            if len(parts) < 2:
                continue
            sym = parts[-1]
            for pat, what in FORBIDDEN:
                if re.match(pat, sym):
                    problems.append(f"{os.path.basename(elf)}: {what} linked in ({sym})")
    bad = set()
    for line in nm(nm_tool, ["-u", "-C", lib]).split("\n"):
        line = line.strip()
        if not line.startswith("U "):
            continue
        sym = line[2:].strip()
        if not any(re.match(p, sym) for p in allowed):
            bad.add(sym)
    for sym in sorted(bad):
        problems.append(f"libdescent.a needs a symbol outside the allowlist: {sym}")
    return problems


# ---------------------------------------------------------------------------------------------


def run_arena_tool(emulator, elf):
    cmd = [c for c in emulator.split("|") if c] + [elf]
    # QEMU writes the semihosting console to stderr.
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=60)
    sizes = {}
    for line in res.stdout.split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "arena":
            sizes[parts[1]] = int(parts[2])
        elif len(parts) == 2 and parts[0] == "sizeof(dsc_config)":
            sizes["sizeof(dsc_config)"] = int(parts[1])
    if res.returncode != 0 or not sizes:
        raise SystemExit(f"arena tool failed (rc {res.returncode}): {res.stdout}")
    return sizes


def run_firmware_stack(emulator, elf):
    """Runs the test firmware; returns (the deepest dsc_fit stack it measured, error)."""
    cmd = [c for c in emulator.split("|") if c] + [elf]
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=300)
    except subprocess.TimeoutExpired:
        return None, "the test firmware did not finish"
    m = re.search(r"max measured dsc_fit stack: (\d+) bytes", res.stdout)
    if res.returncode != 0 or not m:
        return None, f"the test firmware failed (rc {res.returncode}) or printed no stack figure"
    return int(m.group(1)), None


PROBE_TITLES = [
    ("LINEAR_GD", "linear, full-batch GD"),
    ("LINEAR_SGD", "linear, momentum minibatch SGD"),
    ("LOGISTIC_SGD", "logistic, momentum minibatch SGD"),
    ("POLYNOMIAL_GD", "polynomial, full-batch GD"),
    ("LEGENDRE3_GD", "legendre3, full-batch GD"),
    ("ALL", "all models + both optimizers"),
    ("ALL_BLOB", "all models + both optimizers + save/load"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu", required=True)
    ap.add_argument("--arch", choices=("arm", "riscv"), default="arm")
    ap.add_argument("--nm", required=True)
    ap.add_argument("--size")
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--objects", required=True, help="library objects, '|'-separated")
    ap.add_argument("--firmware", required=True)
    ap.add_argument("--probes", required=True, help="NAME=elf pairs, '|'-separated")
    ap.add_argument("--arena-tool", required=True)
    ap.add_argument("--emulator", required=True, help="emulator command, '|'-separated")
    ap.add_argument("--budget-flash", type=int, default=16384)
    ap.add_argument("--budget-stack", type=int, default=512)
    ap.add_argument("--budget-arena", type=int, default=256)
    ap.add_argument("--report-only", default="", help="budgets not enforced: flash,stack,arena")
    ap.add_argument("--markdown", help="also write the tables to this file")
    ap.add_argument("--measure-firmware", action="store_true",
                    help="run --firmware under --emulator and check that the static dsc_fit "
                         "stack is not below the one it measures")
    a = ap.parse_args()
    report_only = {x for x in a.report_only.split(",") if x}

    out = []

    def say(s=""):
        out.append(s)
        print(s)

    failures = []

    # ---- flash / RAM -----------------------------------------------------------------------
    probes = dict(p.split("=", 1) for p in a.probes.split("|") if p)
    parsed = {k: parse_map(os.path.splitext(v)[0] + ".map") for k, v in probes.items()}
    maps = {k: v[0] for k, v in parsed.items()}
    libc_name = "newlib-nano" if a.arch == "arm" else "picolibc"
    say(f"## libdescent footprint on {a.cpu} (-Os, --gc-sections, {libc_name})")
    say()
    say("Flash = .text + .rodata (+ .data initialisers); RAM = .data + .bss. `lib` is what")
    say("libdescent.a itself contributes; `+ runtime` adds what it pulls from libm, libc and")
    say("libgcc (soft double, pow, expf, log1pf, memcpy, ...).")
    say()
    say("| link probe | lib .text | lib .rodata | lib flash | lib RAM | runtime flash | flash with runtime | RAM with runtime |")
    say("|---|---:|---:|---:|---:|---:|---:|---:|")
    all_lib_flash = all_total_flash = None
    for key, title in PROBE_TITLES:
        if key not in maps:
            continue
        s = maps[key]
        lib_flash, lib_ram = flash_ram(s, ["libdescent"])
        rt_flash, rt_ram = flash_ram(s, ["libm", "libc", "libgcc"])
        say(f"| {title} | {s[('libdescent', 'text')]} | {s[('libdescent', 'rodata')]} | "
            f"**{lib_flash}** | {lib_ram} | {rt_flash} | {lib_flash + rt_flash} | {lib_ram + rt_ram} |")
        if key == "ALL":
            all_lib_flash, all_total_flash = lib_flash, lib_flash + rt_flash
    say()
    if len({flash_ram(maps[k], ["libdescent"]) for k, _ in PROBE_TITLES[:5] if k in maps}) == 1:
        say("The single-model probes are identical: the kernel table a model is given at")
        say("dsc_create holds every model's kernels, so --gc-sections cannot drop the models an")
        say("application never uses.")
        say()
    if "ALL" in parsed:
        say("Runtime pulled in by libdescent (probe: all models + both optimizers), largest first:")
        say()
        say("| archive member | flash bytes |")
        say("|---|---:|")
        for member, size in parsed["ALL"][1].most_common(12):
            say(f"| {member} | {size} |")
        say()

    # ---- stack -----------------------------------------------------------------------------
    objects = [o for o in a.objects.split("|") if o]
    cis = []
    for o in objects:
        stem = os.path.splitext(o)[0]
        for cand in (stem + ".ci", o + ".ci", stem.rsplit(".", 1)[0] + ".ci"):
            if os.path.exists(cand):
                cis.append(cand)
                break
        else:
            raise SystemExit(f"no call-graph file (.ci) next to {o}: build with -fcallgraph-info=su")
    frames, edges, quals, by_symbol = parse_ci(cis)
    if a.arch == "riscv":
        # Add the runtime calls the relocations show (each object's own functions only, so a
        # static function of the same name elsewhere is not confused with it).
        for o, ci in zip(objects, cis):
            local = {t.rsplit(":", 1)[-1]: t for t in parse_ci([ci])[0]}
            dis = subprocess.run([a.objdump, "-dr", o], capture_output=True, text=True,
                                 check=True).stdout
            for fn, targets in reloc_calls_riscv(dis).items():
                title = local.get(fn)
                if title is None:
                    continue
                for t in sorted(targets):
                    if t not in by_symbol and t not in edges[title]:
                        edges[title].append(t)
    dynamic = [t for t, q in quals.items() if "dynamic" in q and "bounded" not in q]
    # Indirect calls: the training loop calls kernels through the table (kScalarKernels);
    # kernels call the row functions whose addresses they take.
    table, kernel_taken = set(), set()
    for o in objects:
        relocs = subprocess.run([a.objdump, "-r", o], capture_output=True, text=True,
                                check=True).stdout
        table |= kernel_table_targets(relocs, a.arch)
        if os.sep + "kernels" + os.sep in o:
            kernel_taken |= code_address_taken(relocs, a.arch)
    kernel_taken = {t for t in kernel_taken if t in by_symbol} - table

    def indirect_for(title):
        return kernel_taken if "/kernels/" in title.rsplit(":", 1)[0] else table

    stack_elf = probes.get("ALL_BLOB", a.firmware)
    read_frames = binary_frames if a.arch == "arm" else binary_frames_riscv
    bin_frames = read_frames(
        subprocess.run([a.objdump, "-d", "--no-show-raw-insn", stack_elf],
                       capture_output=True, text=True, check=True).stdout)
    alias = symbol_aliases(nm(a.nm, [stack_elf]))
    root = by_symbol.get("dsc_fit")
    # Firmware has no thread pool: the parallel_for paths (parallel_chunks, chunk_task) cannot
    # run there. They are measured separately below.
    pool_fns = ("parallel_chunks", "chunk_task")
    stack, path, notes = worst_stack(root, frames, edges, by_symbol, indirect_for, bin_frames,
                                     alias, exclude=pool_fns)
    pool_stack, pool_path, _ = worst_stack(root, frames, edges, by_symbol, indirect_for,
                                           bin_frames, alias)
    indirect = table
    lib_only = sum(frame for _, frame, origin in path if origin == "ci")
    say("### Stack of dsc_fit (worst case, static)")
    say()
    say(f"- **{stack} bytes** on the deepest path (library frames from GCC's call graph, "
        f"{lib_only} bytes; the rest in libm/libgcc, from their prologues):")
    say(f"  `{' -> '.join(f'{n} {f}' for n, f, _ in path)}`")
    say(f"- indirect calls resolved to the {len(indirect)} kernel-table functions (and, inside "
        f"kernels, to the {len(kernel_taken)} row functions they take the address of); the "
        f"user's on_epoch callback is not included")
    say(f"- with a thread pool (cfg.parallel_for set, not available on bare metal): "
        f"{pool_stack} bytes plus the pool's own frames, via "
        f"`{' -> '.join(f'{n} {f}' for n, f, _ in pool_path[:4])} ...`")
    if dynamic:
        say(f"- dynamic frames (alloca/VLA): {', '.join(short(d) for d in dynamic)}")
        failures.append("dsc_fit has a dynamically sized frame")
    for n in notes:
        say(f"- note: {n}")
    say()

    # ---- arena -----------------------------------------------------------------------------
    arenas = run_arena_tool(a.emulator, a.arena_tool)
    say("### Arena (dsc_arena_size on the target)")
    say()
    say("| configuration | bytes |")
    say("|---|---:|")
    for k, v in arenas.items():
        if k.startswith("sizeof"):
            continue
        say(f"| {k} | {v} |")
    say()
    if "sizeof(dsc_config)" in arenas and "linear8_predictor_only" in arenas:
        say(f"The model header (sizeof(dsc_model), in every arena) is at most "
            f"{arenas['linear8_predictor_only'] - 9 * 4} bytes here (the predictor-only arena "
            f"minus 9 parameters; arenas are rounded up to 8 bytes), "
            f"{arenas['sizeof(dsc_config)']} of them a copy of dsc_config.")
        say()
    arena_worst = max(arenas["linear8_sgd_momentum_b8_shuffle_off"],
                      arenas["linear8_sgd_momentum_b8_shuffle_on"])

    # ---- measured stack --------------------------------------------------------------------
    measured = None
    if a.measure_firmware:
        measured, err = run_firmware_stack(a.emulator, a.firmware)
        if measured is None:
            failures.append(f"stack cross-check: {err}")

    # ---- budgets ---------------------------------------------------------------------------
    say("### Budgets")
    say()
    say("| budget | limit | measured | result |")
    say("|---|---:|---:|---|")

    def budget(key, title, limit, value, extra=""):
        ok = value <= limit
        if ok:
            verdict = "ok"
        elif key in report_only:
            verdict = "**OVER — report-only (blocked by lib/, see README)**"
        else:
            verdict = "**OVER BUDGET**"
            failures.append(f"{title}: {value} > {limit}")
        say(f"| {title} | {limit} | {value}{extra} | {verdict} |")

    budget("flash", "flash, all models + both optimizers (libdescent)", a.budget_flash,
           all_lib_flash, f" ({all_total_flash} with libm/libgcc)")
    budget("stack", "stack of dsc_fit", a.budget_stack, stack)
    if measured is not None:
        # The painted-stack measurement of the test firmware is a lower bound of the worst
        # case; a static figure below it means the call graph misses a frame or a call.
        ok = stack >= measured
        say(f"| static dsc_fit stack >= measured on the device (test firmware) | {stack} | "
            f"{measured} | {'ok' if ok else '**STATIC BELOW MEASURED**'} |")
        if not ok:
            failures.append(f"static dsc_fit stack {stack} < measured {measured}: the call "
                            "graph misses frames")
    budget("arena", "arena, 8-feature linear, momentum SGD, batch 8 (shuffle off / on)",
           a.budget_arena, arena_worst,
           f" ({arenas['linear8_sgd_momentum_b8_shuffle_off']} / "
           f"{arenas['linear8_sgd_momentum_b8_shuffle_on']})")
    say()

    # ---- runtime -----------------------------------------------------------------------------
    allowed = ALLOWED_UNDEFINED if a.arch == "arm" else ALLOWED_UNDEFINED_RISCV
    problems = runtime_checks(a.nm, a.lib, [a.firmware] + list(probes.values()), allowed)
    say("### Runtime support linked in")
    say()
    if problems:
        for p in problems:
            say(f"- FAIL: {p}")
        failures.extend(problems)
    else:
        say("- none: no malloc/free/operator new, no exception or RTTI support in the firmware "
            "or the probes; libdescent.a needs only allowlisted symbols (mem*, libm, "
            f"{'EABI' if a.arch == 'arm' else 'libgcc'} helpers)")
    say()

    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("\n".join(out) + "\n")
    if failures:
        print("FOOTPRINT CHECK FAILED:")
        for f in failures:
            print(f"  - {f}")
        return 1
    print("FOOTPRINT CHECK PASSED" + (f" (report-only: {', '.join(sorted(report_only))})"
                                      if report_only else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
