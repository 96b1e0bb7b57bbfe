/* libulysses_a2a: the verified exchange and the layer's pack kernels behind a plain C ABI.
 *
 * For callers that cannot link C++ (Python through ctypes, other languages): integers, strings
 * and pointers only, no C++ types, no exceptions across the boundary. One build serves every
 * PyTorch version because nothing here links torch. docs/pytorch.md describes the Python package
 * built on it; docs/architecture.md places it among the modules.
 *
 * Versioning: ua2a_abi_version() returns UA2A_ABI_VERSION; every symbol carries the ELF version
 * UA2A_1 and the library's SONAME is libulysses_a2a.so.1. A change that breaks a caller raises
 * both.
 *
 * Errors: every function that can fail returns UA2A_OK (0) or a negative code; the message, which
 * names the input and the fix, is then in ua2a_last_error() (per thread, until the next failing
 * call of that thread). The codes follow the command's exit codes (2 bad input, 1 a property
 * violated, 3 a failure of the machine), negated.
 */
#ifndef ULYSSES_A2A_H
#define ULYSSES_A2A_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UA2A_ABI_VERSION 1

#define UA2A_OK 0
#define UA2A_VIOLATION (-1)  /* the programs failed verification (deadlock, lost or duplicated piece) */
#define UA2A_BAD_INPUT (-2)  /* an argument is out of range, unknown, or inconsistent with another */
#define UA2A_FAILURE (-3)    /* the machine failed: memory, a CUDA error */

/* The ABI version (UA2A_ABI_VERSION of the build) and the project's version string ("0.1.0"). */
int ua2a_abi_version(void);
const char* ua2a_version(void);
/* The message of this thread's last failing call; "" when none failed. */
const char* ua2a_last_error(void);
/* 1 when this build has the CUDA pack kernels (device pointers and streams accepted), else 0. */
int ua2a_has_cuda(void);

/* ---- Programs: generated, lowered and verified once, then read rank by rank -------------------
 * A block is what one rank owes another: `parts` messages of part_bytes[i] bytes back to back,
 * each cut into `chunks` pieces (the remainder goes to the first chunks). algo: round-robin, shift,
 * xor, grouped, staircase; discipline: paired-half, paired-full, grouped, naive (naive deadlocks
 * on purpose and is refused with the verifier's counterexample). Creation fails with
 * UA2A_VIOLATION unless the verifier proves the programs deadlock-free and every piece delivered
 * exactly once, in place. */
typedef struct ua2a_programs ua2a_programs;

int ua2a_programs_create(int32_t ranks, const char* algo, const char* discipline, uint32_t chunks,
                         const uint64_t* part_bytes, uint32_t parts, ua2a_programs** out);
void ua2a_programs_destroy(ua2a_programs* programs);

/* The programs of a schedule file's order (the schedule JSON of docs/formats.md, as `ulysses-a2a
 * synthesize` or `schedule --format json` write it), every block re-cut as `parts` messages of
 * part_bytes[i] bytes in `chunks` pieces (0: the file's chunks). `ranks` must be the file's.
 * discipline NULL or "": the file's (paired-full when it records none). Verified as above;
 * a text that is not a schedule is UA2A_BAD_INPUT. */
int ua2a_programs_from_schedule(const char* schedule_json, int32_t ranks, const char* discipline, uint32_t chunks,
                                const uint64_t* part_bytes, uint32_t parts, ua2a_programs** out);

/* Sizes: ranks, bytes of one block, steps and operations of `rank`'s program. */
int ua2a_programs_ranks(const ua2a_programs* programs, int32_t* ranks);
int ua2a_programs_block_bytes(const ua2a_programs* programs, uint64_t* bytes);
int ua2a_programs_rank_size(const ua2a_programs* programs, int32_t rank, uint32_t* steps, uint64_t* ops);

/* One operation as UA2A_OP_FIELDS int64 values, at these indices: */
#define UA2A_OP_FIELDS 9
#define UA2A_OP_STEP 0      /* the step it belongs to: step i+1 starts when every op of step i completed */
#define UA2A_OP_KIND 1      /* UA2A_SEND, UA2A_RECV or UA2A_COPY */
#define UA2A_OP_PEER 2      /* the other rank, in 0..ranks-1 (own rank for a copy) */
#define UA2A_OP_SRC 3       /* the block: the rank that owes it ... */
#define UA2A_OP_DST 4       /* ... and the rank it is owed to */
#define UA2A_OP_PART 5
#define UA2A_OP_CHUNK 6
#define UA2A_OP_OFFSET 7    /* byte offset of the piece inside its block */
#define UA2A_OP_BYTES 8     /* bytes of the piece */
#define UA2A_SEND 0
#define UA2A_RECV 1
#define UA2A_COPY 2
/* Writes `rank`'s operations in program order to ops[0 .. count * UA2A_OP_FIELDS); `capacity` is
 * the number of operations ops can hold (ua2a_programs_rank_size gives the count). */
int ua2a_programs_rank_ops(const ua2a_programs* programs, int32_t rank, int64_t* ops, uint64_t capacity);

/* ---- The merged-QKV layer's messages and pack kernels ------------------------------------------
 * Layout (backend/layout.h, docs/reference/ulysses-4090.md): a rank holds q, k, v [s, H, D] of its
 * s tokens; the block for rank j is heads j*h .. j*h+h-1 (h = H / ranks) of all three, q-block |
 * k-block | v-block, each [s, h, D] token-major; with FP8 the three e4m3 payloads then one float32
 * scale (absmax / 448) per (tensor, token, head) row. The reverse exchange ("out") moves one
 * tensor: rows j*s .. j*s+s-1 of the attention output [ranks*s + L, h, D] go to rank j.
 * Blocks sit UA2A_BLOCK_ALIGN bytes apart in packed buffers. */
#define UA2A_BLOCK_ALIGN 256
#define UA2A_EXCHANGE_QKV 0 /* forward: q, k, v [s, H, D] -> attention layout [ranks*s + L, h, D] */
#define UA2A_EXCHANGE_OUT 1 /* reverse: attention output [ranks*s + L, h, D] -> [s, H, D] */
/* fp8: the wire format. With UA2A_WIRE_FP8_FROM_BF16 / _FP16 the rows are 2-byte floats of that
 * type quantised to e4m3 with their scales; with UA2A_WIRE_RAW the rows' bytes move unchanged
 * (any element type: a row is head_dim * elem_bytes bytes, which must be even). */
#define UA2A_WIRE_RAW 0
#define UA2A_WIRE_FP8_FROM_BF16 1
#define UA2A_WIRE_FP8_FROM_FP16 2

/* The messages of one block: merged, one part (q|k|v, or out); unmerged, q, k, v (and with FP8
 * their scales: q_scale, k_scale, v_scale) as separate messages at the same byte offsets. Writes
 * up to `capacity` part sizes, the part count and the block stride (block bytes rounded up to
 * UA2A_BLOCK_ALIGN). */
int ua2a_layer_parts(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim, uint32_t elem_bytes,
                     int wire, int merged, uint64_t* part_bytes, uint32_t capacity, uint32_t* parts,
                     uint64_t* block_stride);

/* Packs the blocks of `exchange` for all ranks into `packed` (ranks blocks at block_stride) from
 * `tensors` (3 pointers for qkv: q, k, v [s, H, D]; 1 for out: [ranks*s + L, h, D]), and unpacks
 * the inverse way (qkv: into rows 0 .. ranks*s-1 of q, k, v [ranks*s + L, h, D]; out: into
 * [s, H, D]). seq = s, heads = H (all heads). device 0: host pointers; device 1: CUDA device
 * pointers, launched asynchronously on `cuda_stream` (a cudaStream_t; NULL is the default stream),
 * only where ua2a_has_cuda(). Tensors are contiguous in the shapes above. */
int ua2a_pack(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim, uint32_t elem_bytes,
              int wire, uint64_t block_stride, const void* const* tensors, void* packed, int device,
              void* cuda_stream);
int ua2a_unpack(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim, uint32_t elem_bytes,
                int wire, uint64_t block_stride, const void* packed, void* const* tensors, int device,
                void* cuda_stream);

#ifdef __cplusplus
}
#endif

#endif /* ULYSSES_A2A_H */
