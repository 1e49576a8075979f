package io.isthmus.runtime.kernel;

import io.isthmus.runtime.tensor.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * The products of a GGUF block type for any placement of its blocks. A block's bytes split into a
 * head (its scales) and its codes; row block b has its codes at {@code codeAt + b·codeStep} of
 * {@code codes} and its head at {@code headAt + b·headStep} of {@code heads}. GGUF keeps both in
 * one segment, block after block ({@link BlockKernel}: both steps the block size in bytes);
 * {@link RowGroupMatrix} keeps four rows' codes side by side and their heads apart, and multiplies
 * such a group by one x row at once through {@link #rows4}. A row's partial last block (a length not
 * a multiple of the block size) is summed from the scalar dequantizer.
 *
 * <p>A type may store its blocks differently in groups ({@link #grouped}): heads rewritten at load
 * into a form its group kernel reads faster ({@link #packHead}), codes too ({@link #packCodes}: Q6_K's
 * six-bit fields become a byte each), and a block's codes cut into pieces of {@link #pieceBytes}
 * with the other rows' pieces between them, {@link #pieceStride} apart. The values are GGUF's either way.
 *
 * <p>Steps that are arguments rather than constants cost the one-row products: C2 cannot take the
 * segment bounds checks out of a loop whose stride it does not know (Q4_0 in GGUF's layout, one
 * core, a matrix in L2: 12-14 GB/s against 16 with the block size a constant). {@link #rows4}, which
 * decode runs through, has its group's steps as constants; the others serve prefill tiles, the rows
 * at the ends of a thread's range, and matrices kept in GGUF's layout ({@code -Disthmus.repack=false}).
 */
abstract class BlockDots {

    final GgmlType type;
    /** Where the head and the codes lie within a GGUF block, and how long the codes are. */
    final int headOffset, codeOffset, codeBytes;
    /** Bytes of a head as these products read it (GGUF's, blockBytes − codeBytes, unless {@link #packHead} rewrites it). */
    final int headBytes;
    /** A block's codes are read in pieces of this many bytes, {@code pieceStride} apart (both codeBytes when in one piece). */
    final int pieceBytes, pieceStride;

    /** Products over GGUF's own blocks. */
    BlockDots(GgmlType type, int headOffset, int codeOffset, int codeBytes) {
        this(type, headOffset, codeOffset, codeBytes, type.blockBytes() - codeBytes, codeBytes, codeBytes);
        if (codeBytes >= type.blockBytes()) {
            throw new IllegalArgumentException(type + ": " + codeBytes + " bytes of codes do not fit its "
                    + type.blockBytes() + "-byte block");
        }
    }

    /**
     * Products over a stored form: heads of {@code headBytes} and codes of {@code codeBytes} (which
     * {@link #packCodes} may rewrite into more or fewer bytes than GGUF's) in pieces of {@code pieceBytes},
     * {@code pieceStride} apart.
     */
    BlockDots(GgmlType type, int headOffset, int codeOffset, int codeBytes, int headBytes, int pieceBytes, int pieceStride) {
        if (codeBytes % pieceBytes != 0 || pieceStride < pieceBytes) {
            throw new IllegalArgumentException(type + ": " + codeBytes + " bytes of codes do not split into pieces of "
                    + pieceBytes + ", " + pieceStride + " apart");
        }
        this.type = type;
        this.headOffset = headOffset;
        this.codeOffset = codeOffset;
        this.codeBytes = codeBytes;
        this.headBytes = headBytes;
        this.pieceBytes = pieceBytes;
        this.pieceStride = pieceStride;
    }

    /** The block type's products over GGUF's layout, or null when it has none here. */
    static BlockDots of(GgmlType type) {
        return switch (type) {
            case Q8_0 -> Q8_0Dots.INSTANCE;
            case Q4_0 -> Q4_0Dots.INSTANCE;
            case Q4_K -> Q4_KDots.GGUF;
            default -> null;
        };
    }

    /**
     * The products over {@link RowGroupMatrix}'s layout of the type's blocks (its pieces
     * {@link RowGroupMatrix#GROUP} rows interleaved), or null when it has none.
     */
    static BlockDots grouped(GgmlType type) {
        return switch (type) {
            case Q4_K -> Q4_KDots.GROUPED;
            case Q6_K -> Q6_KDots.GROUPED;
            default -> of(type);
        };
    }

    /** The head of the GGUF block at {@code blockAt} of {@code block}, in this form, to {@code headAt} of {@code heads}. */
    void packHead(MemorySegment block, long blockAt, MemorySegment heads, long headAt) {
        MemorySegment.copy(block, blockAt + headOffset, heads, headAt, headBytes);
    }

    /** The reverse of {@link #packHead}: GGUF's head bytes, into {@code block} at {@link #headOffset}. */
    void unpackHead(MemorySegment heads, long headAt, MemorySegment block) {
        MemorySegment.copy(heads, headAt, block, headOffset, headBytes);
    }

    /**
     * The codes of the GGUF block at {@code blockAt} of {@code block}, in this form, to {@code codeAt} of
     * {@code codes}: GGUF's bytes cut into pieces {@link #pieceStride} apart, unless overridden.
     */
    void packCodes(MemorySegment block, long blockAt, MemorySegment codes, long codeAt) {
        for (int p = 0; p < codeBytes / pieceBytes; p++) {
            MemorySegment.copy(block, blockAt + codeOffset + (long) p * pieceBytes, codes, codeAt + (long) p * pieceStride, pieceBytes);
        }
    }

    /** The reverse of {@link #packCodes}: GGUF's code bytes, into {@code block} at {@link #codeOffset}. */
    void unpackCodes(MemorySegment codes, long codeAt, MemorySegment block) {
        for (int p = 0; p < codeBytes / pieceBytes; p++) {
            MemorySegment.copy(codes, codeAt + (long) p * pieceStride, block, codeOffset + (long) p * pieceBytes, pieceBytes);
        }
    }

    /** Σ_c W[c]·x[xo + c] over one row's {@code k} columns. */
    abstract float dot1(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                        int k, float[] x, int xo);

    /** One row with four x rows at once, results in {@code out[0..3]}. */
    abstract void dot4(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                       int k, float[] x, int x0, int x1, int x2, int x3, float[] out);

    /** The first {@code count} whole blocks of a row as floats into {@code out[o..]}, bit-identical to the scalar dequantizer. */
    abstract void decode(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                         int count, float[] out, int o);

    /**
     * Four rows stored as {@link RowGroupMatrix} groups them (row r's block b: codes at
     * {@code codeAt + 4·codeBytes·b + codeBytes·r}, head at {@code headAt + 4·headBytes·b + headBytes·r}),
     * each with the one x row at {@code xo}, results in {@code out[0..3]}. {@code prepared} holds from
     * {@code po} what {@link #prepare} derived from that x row (shared by all the product's threads: read only; null
     * where {@link #preparedSize} is 0), {@code scratch} at least {@link #rows4Scratch} floats of the
     * calling thread's own. This default takes the rows one by one; a type whose kernel shares the x
     * loads across the group overrides it.
     */
    void rows4(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, int k, float[] x, int xo,
               float[] prepared, int po, float[] scratch, float[] out) {
        for (int r = 0; r < 4; r++) {
            out[r] = dot1(codes, codeAt + (long) r * codeBytes, 4 * codeBytes, heads, headAt + (long) r * headBytes,
                    4 * headBytes, k, x, xo);
        }
    }

    /** Floats {@link #prepare} writes for an x row of {@code k} columns: 0 (the default) where {@link #rows4} reads x as it is. */
    int preparedSize(int k) {
        return 0;
    }

    /**
     * Whatever {@link #rows4} needs from the x row at {@code xo} before it multiplies groups by it,
     * into {@code prepared} from {@code po}: once per product, for all the groups of all its threads.
     */
    void prepare(float[] x, int xo, int k, float[] prepared, int po) {
    }

    /** Floats of per-thread scratch {@link #rows4} needs for rows of {@code k} columns. */
    int rows4Scratch(int k) {
        return 0;
    }

    /** Block {@code b} of a row as {@code blockSize} floats into {@code out[o..]}, through the scalar dequantizer. */
    final void dequantizeBlock(MemorySegment codes, long codeAt, MemorySegment heads, long headAt, float[] out, int o) {
        MemorySegment block = MemorySegment.ofArray(new byte[type.blockBytes()]); // the block reassembled in GGUF's layout
        unpackHead(heads, headAt, block);
        unpackCodes(codes, codeAt, block);
        Dequantize.block(type, block, 0, out, o);
    }

    /** Σ W·x over the columns of the row's partial last block (0 when it has none). */
    final float partialBlock(MemorySegment codes, long codeAt, int codeStep, MemorySegment heads, long headAt, int headStep,
                             int k, float[] x, int xo) {
        int bs = type.blockSize();
        int rest = k % bs;
        if (rest == 0) {
            return 0;
        }
        long full = k / bs;
        float[] v = new float[bs];
        dequantizeBlock(codes, codeAt + full * codeStep, heads, headAt + full * headStep, v, 0);
        float s = 0;
        for (int c = 0, xc = xo + k - rest; c < rest; c++) {
            s += v[c] * x[xc + c];
        }
        return s;
    }
}
