package io.isthmus.runtime.onednn;

import io.isthmus.numa.Affinity;
import io.isthmus.numa.CpuSet;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * oneDNN in this process: the library, loaded once, with one CPU engine and one in-order stream.
 * {@link #get} loads it on first use; when it cannot (no library, a broken one, a CPU it does not
 * support) it logs ONE warning and returns empty for good, and callers keep to the Vector API
 * kernels.
 */
public final class OneDnn {
    private static final System.Logger LOG = System.getLogger(OneDnn.class.getName());

    private static Path configuredLibrary;
    private static Optional<OneDnn> instance;
    private static String unavailableReason;

    final Dnnl api;
    final MemorySegment engine;
    final MemorySegment stream;
    private final Path library;
    private final String version;
    private final CpuIsa isa;
    private final Map<String, String> openMp;
    private final PrimitiveCache cache = new PrimitiveCache();
    private Boolean bf16Matmul;

    private OneDnn(Dnnl api, Path library, Map<String, String> openMp) {
        this.api = api;
        this.library = library;
        this.openMp = openMp;
        this.version = api.version();
        this.isa = CpuIsa.of(api.effectiveCpuIsa());
        this.engine = api.engineCreateCpu();
        this.stream = api.streamCreate(engine);
    }

    /**
     * Names the libdnnl to load instead of the bundled one (the model.yaml key {@code onednn_library});
     * {@code ISTHMUS_ONEDNN_LIB} still wins. Has no effect once the library is loaded.
     */
    public static synchronized void useLibrary(Path library) {
        if (instance != null && library != null && !library.equals(configuredLibrary)) {
            LOG.log(System.Logger.Level.WARNING, "oneDNN is already loaded; onednn_library " + library + " is ignored");
        }
        configuredLibrary = library;
    }

    /**
     * oneDNN, loaded on first call with one OpenMP thread per CPU of {@code cpus} (the compute
     * pool's), or empty when it cannot be loaded (said once, as a warning).
     */
    public static synchronized Optional<OneDnn> get(CpuSet cpus) {
        if (instance == null) {
            Attempt a = load(libraryPath(), cpus);
            instance = Optional.ofNullable(a.oneDnn());
            unavailableReason = a.failure();
            if (a.failure() != null) {
                LOG.log(System.Logger.Level.WARNING, a.failure());
            }
        }
        return instance;
    }

    /** Why oneDNN is not in use, or null when it is (or was never asked for). */
    public static synchronized String unavailableReason() {
        return unavailableReason;
    }

    /** The outcome of one load: oneDNN, or the one-line warning saying why not. */
    public record Attempt(OneDnn oneDnn, String failure) {
    }

    /**
     * Loads oneDNN from {@code library} (null: the class path's) with OpenMP threads on {@code cpus};
     * never throws. libgomp keeps only the places the loading thread may run on, so the thread is
     * given all of {@code cpus} while the library loads (a driver thread pinned to one CPU would
     * otherwise leave oneDNN one place), and its own affinity back afterwards.
     */
    public static Attempt load(Path library, CpuSet cpus) {
        String source = library != null ? library + " (" + DnnlLibrary.ENV_LIBRARY + " or onednn_library)" : "the class path";
        try {
            Path file = DnnlLibrary.locate(library);
            Map<String, String> openMp = OpenMpEnvironment.apply(cpus);
            CpuSet before = Affinity.currentAffinity();
            SymbolLookup lookup;
            try {
                widen(cpus);
                lookup = DnnlLibrary.open(file);
            } finally {
                Affinity.setCurrentThreadAffinity(before);
            }
            return new Attempt(new OneDnn(new Dnnl(lookup), file, openMp), null);
        } catch (RuntimeException | LinkageError e) {
            return new Attempt(null, "oneDNN unavailable (" + firstLine(e) + ", library from " + source
                    + "); matrix products run on the Vector API kernels");
        }
    }

    /** Lets the calling thread run on all of {@code cpus}; where it may not, libgomp drops those places (it says so). */
    private static void widen(CpuSet cpus) {
        try {
            Affinity.setCurrentThreadAffinity(cpus);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot widen the loading thread to CPUs " + cpus + " for oneDNN's"
                    + " OpenMP places: " + e.getMessage());
        }
    }

    private static Path libraryPath() {
        String env = System.getenv(DnnlLibrary.ENV_LIBRARY);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return configuredLibrary;
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    /** oneDNN's version, "major.minor.patch". */
    public String version() {
        return version;
    }

    /** The instruction set oneDNN dispatches to on this CPU. */
    public CpuIsa isa() {
        return isa;
    }

    /**
     * Whether oneDNN multiplies bf16 matrices on this CPU. It needs AVX-512 or AVX2-VNNI-2: on plain
     * AVX2 (Zen 3, say) every bf16 matmul, reference ones included, is "unimplemented". Asked once,
     * by creating a 1×16 · 16×16 product.
     */
    public synchronized boolean hasBf16Matmul() {
        if (bf16Matmul == null) {
            try (MemoryDesc src = MemoryDesc.rowMajor(this, 1, 16, DataType.BF16);
                 MemoryDesc weights = MemoryDesc.any(this, 16, 16, DataType.BF16);
                 MemoryDesc dst = MemoryDesc.rowMajor(this, 1, 16, DataType.F32);
                 Primitive probe = Primitive.matmul(this, src, weights, null, dst, null)) {
                bf16Matmul = true;
            } catch (DnnlException e) {
                bf16Matmul = false;
            }
        }
        return bf16Matmul;
    }

    PrimitiveCache cache() {
        return cache;
    }

    /** "oneDNN 3.8.1, avx512_core_bf16, 2 OpenMP threads (PASSIVE), /path/libdnnl.so.3". */
    public String describe() {
        return "oneDNN " + version + ", " + isa.label() + ", " + openMp.getOrDefault("OMP_NUM_THREADS", "?")
                + " OpenMP threads (wait policy " + openMp.getOrDefault("OMP_WAIT_POLICY", "default") + "), " + library;
    }
}
