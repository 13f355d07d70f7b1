package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import org.dumm.api.DummEvents;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.KernelModules;
import org.dumm.api.Names;
import org.dumm.api.Progress;
import org.dumm.api.Startup;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.api.spi.UnionFs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guests from definition to deletion: create, start (one or many in parallel), stop, pause,
 * resume, delete, the re-adoption of guests that outlived an earlier Dumm, and what happens when
 * a guest dies on its own. Each step validates first and undoes what it did when it fails.
 * Locking as in {@link MeshModel}.
 */
final class GuestLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(GuestLifecycle.class);
    private static final int MAX_MEMORY_MB = 65536;
    /** Guests re-adopted at once after a restart. */
    private static final int ADOPT_THREADS = 8;

    private final LinkControl links;
    private final MeshModel model;
    private final MeshEvents events;
    private final HostPorts ports;
    private final RootLayers layers;
    private final UnionFs unionFs;
    private final Supplier<MeshManager.Config> config;
    /** Runs the clean-up after a crash. */
    private final Executor background;
    /** False once the mesh is deactivated: a guest's exit is then no crash of ours to handle. */
    private final BooleanSupplier active;

    GuestLifecycle(MeshModel model, MeshEvents events, HostPorts ports, RootLayers layers, UnionFs unionFs,
                   Supplier<MeshManager.Config> config, Executor background, BooleanSupplier active, LinkControl links) {
        this.links = links;
        this.model = model;
        this.events = events;
        this.ports = ports;
        this.layers = layers;
        this.unionFs = unionFs;
        this.config = config;
        this.background = background;
        this.active = active;
    }

    // ---- define and delete ---------------------------------------------------------------------

    Guest create(GuestDefinition d) {
        MeshManager.Config cfg = config.get();
        String name = Names.check("guest", d.name());
        String backend = d.backend() == null || d.backend().isBlank() ? cfg.defaultBackend() : d.backend();
        String kernel = d.kernel() == null || d.kernel().isBlank() ? cfg.defaultKernel() : d.kernel();
        String master = d.master() == null || d.master().isBlank() ? cfg.defaultMaster() : d.master();
        int memory = d.memoryMb() == 0 ? cfg.defaultMemoryMb() : d.memoryMb();
        if (memory < 16 || memory > MAX_MEMORY_MB) {
            throw new DummException(Reason.INVALID_ARGUMENT, "memory " + memory + " MiB is out of range (16 to " + MAX_MEMORY_MB + ")");
        }
        for (String arg : d.extraArgs()) {
            if (arg.isBlank() || arg.chars().anyMatch(c -> Character.isWhitespace(c) || c < 32)) {
                throw new DummException(Reason.INVALID_ARGUMENT, "kernel argument '" + arg + "' is empty or contains white space");
            }
        }
        if (!model.backends().containsKey(backend)) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "backend '" + backend + "' is not available (have: "
                    + String.join(", ", model.backends().keySet()) + "); backends are plugins: install the one "
                    + "that provides it, e.g. feature:install dumm-backend-" + backend);
        }
        checkKernel(kernel);
        Names.check("master", master);
        layers.ensureMaster(master);
        String modules = d.modules() == null || d.modules().isBlank() ? null
                : d.modules().equals(RootLayers.NO_MODULES) ? RootLayers.NO_MODULES
                : Path.of(d.modules()).toAbsolutePath().normalize().toString();
        GuestRecord record = new GuestRecord(name, backend, Path.of(kernel).toAbsolutePath().toString(), master,
                memory, d.extraArgs(), List.of(), modules);
        // a modules directory that is not there, or a kernel whose release cannot be told, fails here
        KernelModules found = layers.modulesOf(record, model.backends().get(backend)).orElse(null);
        model.locked(() -> {
            if (model.hasGuest(name)) {
                throw new DummException(Reason.ALREADY_EXISTS, "guest '" + name + "' already exists");
            }
            Path dir = model.store().guestDir(name);
            if (Files.exists(dir)) {
                throw new DummException(Reason.ALREADY_EXISTS, "directory " + dir + " already exists; remove it or pick another name");
            }
            try {
                // the store writes guest.json a little later; the guest's directory (where its
                // diff and startup script go) is there when the command returns
                createDirectory(dir);
                model.store().saveGuest(record);
            } catch (RuntimeException ex) {
                MasterStore.deleteTree(dir);
                throw ex;
            }
            GuestEntry e = new GuestEntry(record);
            e.modules = found;
            model.putGuest(e);
            return null;
        });
        events.post(DummEvents.GUEST_CREATED, name, Map.of(DummEvents.STATE, GuestState.STOPPED.name()));
        return model.entry(name).toApi();
    }

    void delete(String name, boolean force) {
        GuestEntry e = model.entry(name);
        e.lock.lock();
        try {
            if (e.isUp() || e.state == GuestState.STARTING || e.state == GuestState.STOPPING) {
                if (!force) {
                    throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase()
                            + "; stop it first or use --force");
                }
                GuestHandle h = e.handle;
                e.handle = null;
                if (h != null) {
                    h.kill();
                }
            } else if (e.state == GuestState.UNAVAILABLE) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' belongs to backend '" + e.record.backend()
                        + "', which is not available; it may still run");
            }
            ports.releaseHostResources(e.record);
            model.removeGuest(name);
            e.state = GuestState.STOPPED;
        } finally {
            e.lock.unlock();
        }
        events.post(DummEvents.GUEST_DELETED, name, Map.of());
    }

    // ---- start and stop ------------------------------------------------------------------------

    Guest start(String name) {
        GuestEntry e = model.entry(name);
        e.lock.lock();
        try {
            if (e.state != GuestState.STOPPED && e.state != GuestState.CRASHED) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase());
            }
            GuestBackend backend = model.backend(e.record);
            checkKernel(e.record.kernel());
            layers.ensureMaster(e.record.master());
            // A crashed guest may have left its devices and mount: start from a clean slate.
            ports.releaseHostResources(e.record);
            events.setState(e, GuestState.STARTING);
            GuestHandle handle = null;
            try {
                layers.checkMasterNotInUpdate(e.record.master());
                e.modules = layers.modulesOf(e.record, backend).orElse(null);
                GuestRoot root = layers.rootFor(e.record, backend);
                // The union fs mounts onto existing layers only: the guest's own diff is ours to make.
                createDirectory(root.diff());
                GuestIdentity.writeInto(root.diff(), root.master(), e.name);
                unionFs.mount(layers.templates().stackFor(root), root.union());
                boolean portsAfter = ports.madeAfterStart(e.record);
                if (!portsAfter) {
                    for (IfaceRecord i : e.record.interfaces()) {
                        ports.createTap(e.record, i);
                    }
                }
                handle = backend.start(specFor(e.record, !portsAfter));
                if (portsAfter) {
                    plugVeths(e, handle);
                }
                InGuest.configureInterfaces(handle, e.record.interfaces());
                links.reapply(e, handle); // after the links are up: the guest has attached its TAPs
                Startup startup = InGuest.startupNowUnlessSystemd(handle);
                e.handle = handle;
                e.startedAt = Instant.now();
                watch(e, handle);
                if (startup != null) {
                    e.startup = startup;
                    e.startupDone = CompletableFuture.completedFuture(startup);
                } else {
                    startupAfterBoot(e, handle);
                }
                events.setState(e, GuestState.RUNNING);
                return e.toApi();
            } catch (RuntimeException ex) {
                if (handle != null) {
                    try {
                        handle.kill();
                    } catch (RuntimeException killEx) {
                        ex.addSuppressed(killEx);
                    }
                }
                e.handle = null;
                try {
                    ports.releaseHostResources(e.record);
                } catch (RuntimeException cleanupEx) {
                    ex.addSuppressed(cleanupEx);
                }
                events.setState(e, GuestState.STOPPED);
                throw ex;
            }
        } finally {
            e.lock.unlock();
        }
    }

    /**
     * The interfaces of a guest just started whose backend takes veths: each pair made with its
     * peer directly in the guest's network namespace, named and addressed as the interface, and
     * brought up there, as a hot-plug does. Made in the host's namespace and moved in instead,
     * each move would wait for an RCU grace period under the kernel's RTNL lock, one guest after
     * another (most of a 100-guest start in the bench). The caller removes them on failure.
     */
    private void plugVeths(GuestEntry e, GuestHandle h) {
        for (IfaceRecord i : e.record.interfaces()) {
            h.plugInterfaceUp(i.spec(), () -> ports.createTap(e.record, i, h.pid())).await();
        }
    }

    /** A systemd guest's startup, on the background executor: systemd takes seconds to finish booting. */
    private void startupAfterBoot(GuestEntry e, GuestHandle h) {
        Startup running = new Startup(Startup.State.RUNNING, 0);
        e.startup = running;
        CompletableFuture<Startup> done = new CompletableFuture<>();
        e.startupDone = done;
        background.execute(() -> {
            Startup result;
            try {
                result = InGuest.startupAfterBoot(h);
            } catch (RuntimeException ex) {
                LOG.warn("startup of guest '{}' did not finish: {}", e.name, ex.getMessage());
                result = new Startup(Startup.State.DONE, -1);
            }
            if (e.handle == h) {
                e.startup = result;
            }
            done.complete(result);
        });
    }

    /**
     * Waits until a running guest's startup is done (a systemd guest's also waits for the end of
     * its boot). A guest re-adopted after a restart counts as started up.
     */
    Guest awaitStartup(String name, Duration timeout) {
        GuestEntry e = model.entry(name);
        if (!e.isUp()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase() + ", not running");
        }
        CompletableFuture<Startup> done = e.startupDone;
        if (done != null) {
            try {
                done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException ex) {
                throw new DummException(Reason.TIMEOUT, "guest '" + name + "' has not finished its startup after "
                        + timeout.toSeconds() + " s (see " + Startup.LOG + " in the guest)");
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new DummException(Reason.TIMEOUT, "interrupted");
            } catch (ExecutionException ex) {
                throw new DummException(Reason.GUEST_FAILURE, "startup of guest '" + name + "': " + ex.getCause().getMessage());
            }
        }
        return e.toApi();
    }

    Map<String, String> startAll(Collection<String> names, Progress progress) {
        return bulk(names, progress, "started", this::start);
    }

    Guest stop(String name, Duration timeout) {
        return stop(name, timeout, null);
    }

    /**
     * Stops a guest; with {@code deferredTaps} its TAPs are not deleted but recorded there (by
     * guest name) for the caller to delete in one batch.
     */
    private Guest stop(String name, Duration timeout, Map<String, List<String>> deferredTaps) {
        GuestEntry e = model.entry(name);
        e.lock.lock();
        try {
            if (e.state == GuestState.CRASHED) {
                ports.releaseHostResources(e.record, deferredTaps);
                events.setState(e, GuestState.STOPPED);
                return e.toApi();
            }
            if (!e.isUp()) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase());
            }
            GuestHandle h = e.handle;
            events.setState(e, GuestState.STOPPING);
            try {
                if (h.isPaused()) {
                    h.resume();
                }
                // the stop stays within its timeout: the backend gets what the script left (at least half)
                Duration rest = timeout.minus(InGuest.runShutdown(h, specFor(e.record).root(), timeout));
                h.stop(rest.compareTo(timeout.dividedBy(2)) < 0 ? timeout.dividedBy(2) : rest);
            } finally {
                e.handle = null;
                ports.releaseHostResources(e.record, deferredTaps);
                e.startedAt = null;
                events.setState(e, GuestState.STOPPED);
            }
            return e.toApi();
        } finally {
            e.lock.unlock();
        }
    }

    Map<String, String> stopAll(Collection<String> names, Duration timeout, Progress progress) {
        // TAPs go in one batch at the end: deleted guest by guest, each deletion waits for its own
        // RCU grace period under the RTNL lock (~19 ms, serialised), 2 s per 100 guests (bench).
        Map<String, List<String>> deferred = new ConcurrentHashMap<>();
        Map<String, String> failures = bulk(names, progress, "stopped", n -> stop(n, timeout, deferred));
        deleteTapsOfStopped(deferred, failures);
        return failures;
    }

    /**
     * Deletes the TAPs that a bulk stop left, under the guests' locks (in name order, like
     * {@link MeshModel#withAllGuestsLocked}), skipping guests that were started again meanwhile.
     */
    private void deleteTapsOfStopped(Map<String, List<String>> tapsByGuest, Map<String, String> failures) {
        List<GuestEntry> locked = new ArrayList<>();
        try {
            List<String> batch = new ArrayList<>();
            for (String name : new TreeSet<>(tapsByGuest.keySet())) {
                GuestEntry e = model.find(name);
                if (e == null) {
                    continue; // deleted meanwhile, and its TAPs with it
                }
                e.lock.lock();
                locked.add(e);
                if (e.handle == null && (e.state == GuestState.STOPPED || e.state == GuestState.CRASHED)) {
                    batch.addAll(tapsByGuest.get(name));
                }
            }
            if (!batch.isEmpty()) {
                try {
                    ports.deleteTaps(batch);
                } catch (RuntimeException ex) {
                    locked.forEach(e -> failures.put(e.name, "deleting its TAPs: " + ex.getMessage()));
                }
            }
        } finally {
            locked.forEach(e -> e.lock.unlock());
        }
    }

    /** Runs {@code op} on several guests at once, with bounded concurrency; failures by name. */
    private Map<String, String> bulk(Collection<String> names, Progress progress, String verb, Function<String, Guest> op) {
        List<String> list = List.copyOf(new LinkedHashSet<>(names));
        for (String n : list) {
            model.entry(n);
        }
        int concurrency = config.get().startConcurrency() > 0 ? config.get().startConcurrency()
                : Math.max(2, 4 * Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(concurrency, Math.max(1, list.size())));
        Map<String, String> failures = new ConcurrentSkipListMap<>();
        AtomicInteger done = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (String n : list) {
                futures.add(pool.submit(() -> {
                    try {
                        op.apply(n);
                    } catch (RuntimeException ex) {
                        failures.put(n, ex.getMessage());
                    }
                    int d = done.incrementAndGet();
                    progress.report(verb + " " + d + "/" + list.size() + (failures.containsKey(n) ? " (" + n + " failed)" : " (" + n + ")"));
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new DummException(Reason.TIMEOUT, "interrupted");
        } catch (ExecutionException ex) {
            throw new DummException(Reason.HOST_ERROR, ex.getCause().getMessage(), ex.getCause());
        } finally {
            pool.shutdownNow();
        }
        return failures;
    }

    // ---- pause and resume ----------------------------------------------------------------------

    Guest pause(String name) {
        return freeze(name, GuestState.RUNNING, GuestState.PAUSED, GuestHandle::pause);
    }

    Guest resume(String name) {
        return freeze(name, GuestState.PAUSED, GuestState.RUNNING, GuestHandle::resume);
    }

    private Guest freeze(String name, GuestState from, GuestState to, java.util.function.Consumer<GuestHandle> action) {
        GuestEntry e = model.entry(name);
        e.lock.lock();
        try {
            if (e.state != from || e.handle == null) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + e.name + "' is " + e.state.name().toLowerCase()
                        + ", not " + from.name().toLowerCase());
            }
            action.accept(e.handle);
            events.setState(e, to);
            return e.toApi();
        } finally {
            e.lock.unlock();
        }
    }

    // ---- re-adoption and crashes ---------------------------------------------------------------

    /**
     * Re-adopts the backend's guests in parallel: each attach waits on its guest's mconsole and
     * agent (a few to tens of ms under UML), and a restart with many guests should not pay
     * for them one after another.
     */
    void adoptAll(GuestBackend backend) {
        List<GuestEntry> todo = model.entries().stream()
                .filter(e -> e.record.backend().equals(backend.name()) && e.handle == null).toList();
        if (todo.isEmpty()) {
            return;
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(ADOPT_THREADS, todo.size()),
                r -> new Thread(r, "dumm-adopt-" + n.incrementAndGet()));
        try {
            List<Callable<Void>> tasks = new ArrayList<>();
            for (GuestEntry e : todo) {
                tasks.add(() -> {
                    try {
                        adopt(e, backend);
                    } catch (RuntimeException ex) {
                        LOG.warn("cannot re-adopt guest '{}': {}", e.name, ex.getMessage());
                        events.setState(e, GuestState.STOPPED);
                    }
                    return null;
                });
            }
            pool.invokeAll(tasks);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } finally {
            pool.shutdownNow();
        }
    }

    /** Takes over a guest still running from an earlier life, or tidies what a dead one left. */
    private void adopt(GuestEntry e, GuestBackend backend) {
        e.lock.lock();
        try {
            if (e.handle != null) {
                return;
            }
            GuestSpec spec = specFor(e.record);
            Optional<GuestHandle> handle = unionFs.isMounted(spec.root()) ? backend.attach(spec) : Optional.empty();
            if (handle.isPresent()) {
                GuestHandle h = handle.get();
                for (IfaceRecord i : e.record.interfaces()) {
                    ports.ensureTap(e.record, i);
                }
                if (!h.isPaused()) {
                    links.reapply(e, h);
                }
                e.handle = h;
                e.startedAt = startTimeOf(h);
                e.modules = layers.modulesOf(e.record, backend).orElse(null);
                e.startupDone = null; // its startup ran under an earlier Dumm
                watch(e, h);
                events.setState(e, h.isPaused() ? GuestState.PAUSED : GuestState.RUNNING);
                LOG.info("re-adopted running guest '{}' (pid {})", e.name, h.pid());
            } else {
                ports.releaseHostResources(e.record);
                events.setState(e, GuestState.STOPPED);
            }
        } finally {
            e.lock.unlock();
        }
    }

    /** The backend left: its guests keep running, unreachable until it (or another instance of it) returns. */
    void orphanAll(GuestBackend backend) {
        for (GuestEntry e : model.entries()) {
            if (e.record.backend().equals(backend.name())) {
                detach(e);
                events.setState(e, GuestState.UNAVAILABLE);
            }
        }
    }

    /** Releases every guest's host-side channels without stopping it (Dumm is going away). */
    void detachAll() {
        for (GuestEntry e : model.entries()) {
            detach(e);
        }
    }

    private static void detach(GuestEntry e) {
        GuestHandle h = e.handle;
        e.handle = null;
        if (h != null) {
            h.detach();
        }
    }

    private static Instant startTimeOf(GuestHandle h) {
        return ProcessHandle.of(h.pid()).flatMap(p -> p.info().startInstant()).orElse(Instant.now());
    }

    private void watch(GuestEntry e, GuestHandle h) {
        h.exited().thenAccept(requested -> {
            if (requested || e.handle != h || !active.getAsBoolean()) {
                return;
            }
            // Died on its own: report at once, tidy its devices and mount in the background.
            e.handle = null;
            events.setState(e, GuestState.CRASHED);
            LOG.warn("guest '{}' (pid {}) died", e.name, h.pid());
            background.execute(() -> {
                e.lock.lock();
                try {
                    if (e.state == GuestState.CRASHED && e.handle == null) {
                        ports.releaseHostResources(e.record);
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("cleaning up after crashed guest '{}': {}", e.name, ex.getMessage());
                } finally {
                    e.lock.unlock();
                }
            });
        });
    }

    // ---- helpers -------------------------------------------------------------------------------

    private GuestSpec specFor(GuestRecord r) {
        return specFor(r, true);
    }

    /** @param withInterfaces false for a backend whose ports the mesh plugs after its start */
    private GuestSpec specFor(GuestRecord r, boolean withInterfaces) {
        Path dir = model.store().guestDir(r.name());
        List<InterfaceSpec> ifaces = !withInterfaces ? List.of() : r.interfaces().stream()
                .map(IfaceRecord::spec).toList();
        return new GuestSpec(r.name(), Path.of(r.kernel()), dir.resolve("union"), dir.resolve("run"), r.memoryMb(),
                r.extraArgs(), ifaces, Duration.ofSeconds(config.get().bootTimeoutSeconds()), 0);
    }

    private static void checkKernel(String kernel) {
        Path k = Path.of(kernel);
        if (!Files.isRegularFile(k) || !Files.isExecutable(k)) {
            throw new DummException(Reason.NOT_FOUND, "kernel " + kernel + " is missing or not executable"
                    + (kernel.equals("/usr/bin/linux.uml") ? " (apt-get install user-mode-linux)" : ""));
        }
    }

    static void createDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new DummException(Reason.HOST_ERROR, "cannot create " + dir + ": " + ex.getMessage(), ex);
        }
    }
}
