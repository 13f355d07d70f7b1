package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.dumm.api.Bridge;
import org.dumm.api.ConsoleSession;
import org.dumm.api.DummConfig;
import org.dumm.api.DummEvents;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.api.Mesh;
import org.dumm.api.MeshStatus;
import org.dumm.api.Names;
import org.dumm.api.Progress;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.Transport;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.GuestSpec;
import org.dumm.api.spi.InterfaceSpec;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Mesh}: guests, bridges, links and templates, persisted under the working directory
 * and re-adopted on start. Drivers and backends do the host work; this class keeps the model,
 * validates before acting, and undoes what it did when a step fails.
 */
@Component(service = Mesh.class, configurationPid = DummConfig.PID, immediate = true)
@Designate(ocd = MeshManager.Config.class)
public class MeshManager implements Mesh {

    @ObjectClassDefinition(name = "Dumm", description = "Dumm mesh settings")
    public @interface Config {
        @AttributeDefinition(description = "Working directory; empty for ${karaf.data}/dumm")
        String workDir() default "";

        @AttributeDefinition(description = "Kernel used when a guest names none")
        String defaultKernel() default "/usr/bin/linux.uml";

        @AttributeDefinition(description = "Master used when a guest names none; built on first use if it is 'busybox'")
        String defaultMaster() default "busybox";

        @AttributeDefinition(description = "Guest memory in MiB when a guest names none")
        int defaultMemoryMb() default 64;

        @AttributeDefinition(description = "Seconds a guest may take to boot")
        int bootTimeoutSeconds() default 60;

        @AttributeDefinition(description = "Guests booted at once by a bulk start; 0 for 4 per core")
        int startConcurrency() default 0;

        @AttributeDefinition(description = "Default backend")
        String defaultBackend() default "uml";
    }

    private static final Logger LOG = LoggerFactory.getLogger(MeshManager.class);
    private static final int MAX_MEMORY_MB = 65536;
    /** Guests re-adopted at once after a restart. */
    private static final int ADOPT_THREADS = 8;
    private static final Duration ADDRESS_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    /** Run inside a guest after each boot, once its interfaces have their addresses. */
    static final String STARTUP_SCRIPT = "/etc/dumm/startup";

    @Reference
    TapDriver taps;
    @Reference
    BridgeDriver bridgeDriver;
    @Reference
    UnionFs unionFs;
    @Reference
    TemplateStore templates;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile EventAdmin events;

    private final Map<String, GuestBackend> backends = new ConcurrentHashMap<>();
    private final Map<String, GuestEntry> guests = new ConcurrentSkipListMap<>();
    private final Set<String> bridges = new ConcurrentSkipListSet<>();
    /** Guards structural changes of the model and their persistence; taken after a guest lock. */
    private final ReentrantLock modelLock = new ReentrantLock();

    private volatile boolean active;
    private volatile Config config;
    private Path workDir;
    private MeshStore store;
    private MasterStore masters;
    private ExecutorService executor;

    // ---- life cycle ----------------------------------------------------------------------------

    @Activate
    void activate(Config config) {
        this.config = config;
        this.workDir = resolveWorkDir(config.workDir());
        this.store = new MeshStore(workDir);
        this.masters = new MasterStore(workDir);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dumm-mesh");
            t.setDaemon(true);
            return t;
        });
        try {
            Files.createDirectories(workDir.resolve("guests"));
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot create working directory " + workDir + ": " + e.getMessage(), e);
        }
        restore();
        active = true;
        // Backends bound before activation were only recorded: adopt their guests now.
        for (GuestBackend backend : backends.values()) {
            adoptAll(backend);
        }
        LOG.info("Dumm mesh ready in {}: {} guests, {} bridges", workDir, guests.size(), bridges.size());
    }

    /**
     * A settings change applies at once without restarting the mesh: a restart would detach every
     * guest and kill a guest whose start is in flight. Only the working directory waits for the
     * next start (the mesh cannot move under running guests).
     */
    @Modified
    void modified(Config changed) {
        if (!resolveWorkDir(changed.workDir()).equals(workDir)) {
            LOG.warn("workDir changed to '{}': it applies when Dumm next starts; still using {}", changed.workDir(), workDir);
        }
        this.config = changed;
    }

    @Deactivate
    void deactivate() {
        active = false;
        // Guests outlive Dumm on purpose: release host-side channels only, never stop them.
        for (GuestEntry e : guests.values()) {
            GuestHandle h = e.handle;
            e.handle = null;
            if (h != null) {
                h.detach();
            }
        }
        executor.shutdownNow();
        store.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(GuestBackend backend) {
        backends.put(backend.name(), backend);
        if (active) {
            adoptAll(backend);
        }
    }

    void removeBackend(GuestBackend backend) {
        backends.remove(backend.name(), backend);
        for (GuestEntry e : guests.values()) {
            if (e.record.backend().equals(backend.name())) {
                GuestHandle h = e.handle;
                e.handle = null;
                if (h != null) {
                    h.detach();
                }
                setState(e, GuestState.UNAVAILABLE);
            }
        }
    }

    private static Path resolveWorkDir(String configured) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        String data = System.getProperty("karaf.data");
        return data != null ? Path.of(data, "dumm").toAbsolutePath().normalize() : Path.of("/var/lib/dumm");
    }

    private void restore() {
        MeshStore.Snapshot snapshot = store.load();
        for (String bridge : snapshot.bridges()) {
            bridges.add(bridge);
            try {
                if (!bridgeDriver.exists(bridge)) {
                    bridgeDriver.create(bridge);
                } else if (!bridgeDriver.isOwned(bridge)) {
                    LOG.warn("bridge '{}' exists on the host but is not Dumm's; leaving it alone", bridge);
                }
            } catch (DummException ex) {
                LOG.warn("cannot restore bridge '{}': {}", bridge, ex.getMessage());
            }
        }
        for (GuestRecord r : snapshot.guests().values()) {
            GuestEntry e = new GuestEntry(r);
            e.state = backends.containsKey(r.backend()) ? GuestState.STOPPED : GuestState.UNAVAILABLE;
            guests.put(r.name(), e);
        }
    }

    /**
     * Re-adopts the backend's guests in parallel: each attach waits on its guest's mconsole and
     * agent (a few to tens of ms under UML), and a restart with many guests should not pay
     * for them one after another.
     */
    private void adoptAll(GuestBackend backend) {
        List<GuestEntry> todo = guests.values().stream()
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
                        setState(e, GuestState.STOPPED);
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
                    ensureTap(e.record, i);
                }
                e.handle = h;
                e.startedAt = startTimeOf(h);
                watch(e, h);
                setState(e, h.isPaused() ? GuestState.PAUSED : GuestState.RUNNING);
                LOG.info("re-adopted running guest '{}' (pid {})", e.name, h.pid());
            } else {
                releaseHostResources(e.record);
                setState(e, GuestState.STOPPED);
            }
        } finally {
            e.lock.unlock();
        }
    }

    private static Instant startTimeOf(GuestHandle h) {
        return ProcessHandle.of(h.pid()).flatMap(p -> p.info().startInstant()).orElse(Instant.now());
    }

    // ---- guests --------------------------------------------------------------------------------

    @Override
    public Guest createGuest(GuestDefinition d) {
        String name = Names.check("guest", d.name());
        String backend = d.backend() == null || d.backend().isBlank() ? config.defaultBackend() : d.backend();
        String kernel = d.kernel() == null || d.kernel().isBlank() ? config.defaultKernel() : d.kernel();
        String master = d.master() == null || d.master().isBlank() ? config.defaultMaster() : d.master();
        int memory = d.memoryMb() == 0 ? config.defaultMemoryMb() : d.memoryMb();
        if (memory < 16 || memory > MAX_MEMORY_MB) {
            throw new DummException(Reason.INVALID_ARGUMENT, "memory " + memory + " MiB is out of range (16 to " + MAX_MEMORY_MB + ")");
        }
        for (String arg : d.extraArgs()) {
            if (arg.isBlank() || arg.chars().anyMatch(c -> Character.isWhitespace(c) || c < 32)) {
                throw new DummException(Reason.INVALID_ARGUMENT, "kernel argument '" + arg + "' is empty or contains white space");
            }
        }
        if (!backends.containsKey(backend)) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "backend '" + backend + "' is not available (have: "
                    + String.join(", ", backends.keySet()) + ")");
        }
        checkKernel(kernel);
        Names.check("master", master);
        ensureMaster(master);
        GuestRecord record = new GuestRecord(name, backend, Path.of(kernel).toAbsolutePath().toString(), master,
                memory, d.extraArgs(), List.of());
        modelLock.lock();
        try {
            if (guests.containsKey(name)) {
                throw new DummException(Reason.ALREADY_EXISTS, "guest '" + name + "' already exists");
            }
            Path dir = store.guestDir(name);
            if (Files.exists(dir)) {
                throw new DummException(Reason.ALREADY_EXISTS, "directory " + dir + " already exists; remove it or pick another name");
            }
            try {
                // the store writes guest.json a little later; the guest's directory (where its
                // diff and startup script go) is there when the command returns
                createDirectory(dir);
                store.saveGuest(record);
            } catch (RuntimeException ex) {
                MasterStore.deleteTree(dir);
                throw ex;
            }
            GuestEntry e = new GuestEntry(record);
            guests.put(name, e);
        } finally {
            modelLock.unlock();
        }
        post(DummEvents.GUEST_CREATED, name, Map.of(DummEvents.STATE, GuestState.STOPPED.name()));
        return guests.get(name).toApi();
    }

    private static void checkKernel(String kernel) {
        Path k = Path.of(kernel);
        if (!Files.isRegularFile(k) || !Files.isExecutable(k)) {
            throw new DummException(Reason.NOT_FOUND, "kernel " + kernel + " is missing or not executable"
                    + (kernel.equals("/usr/bin/linux.uml") ? " (apt-get install user-mode-linux)" : ""));
        }
    }

    private void ensureMaster(String master) {
        if (masters.exists(master)) {
            return;
        }
        if (master.equals(config.defaultMaster()) && master.equals("busybox")) {
            masters.create(new MasterRequest(master, MasterRequest.Kind.BUSYBOX, null, List.of()),
                    line -> LOG.info("default master: {}", line));
            return;
        }
        throw new DummException(Reason.NOT_FOUND, "master '" + master + "' does not exist in " + masters.dir(master).getParent()
                + " (create it with dumm:master-create)");
    }

    @Override
    public void deleteGuest(String name, boolean force) {
        GuestEntry e = entry(name);
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
            releaseHostResources(e.record);
            modelLock.lock();
            try {
                guests.remove(name);
                store.deleteGuest(name);
                saveMesh();
            } finally {
                modelLock.unlock();
            }
            e.state = GuestState.STOPPED;
        } finally {
            e.lock.unlock();
        }
        post(DummEvents.GUEST_DELETED, name, Map.of());
    }

    @Override
    public Guest startGuest(String name) {
        GuestEntry e = entry(name);
        e.lock.lock();
        try {
            if (e.state != GuestState.STOPPED && e.state != GuestState.CRASHED) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase());
            }
            GuestBackend backend = backend(e.record);
            checkKernel(e.record.kernel());
            ensureMaster(e.record.master());
            // A crashed guest may have left its devices and mount: start from a clean slate.
            releaseHostResources(e.record);
            setState(e, GuestState.STARTING);
            GuestSpec spec = null;
            GuestHandle handle = null;
            List<String> createdTaps = new ArrayList<>();
            try {
                GuestRoot root = rootFor(e.record, backend);
                // The union fs mounts onto existing layers only: the guest's own diff is ours to make.
                createDirectory(root.diff());
                unionFs.mount(templates.stackFor(root), root.union());
                for (IfaceRecord i : e.record.interfaces()) {
                    createTap(e.record, i);
                    createdTaps.add(i.tap());
                }
                spec = specFor(e.record);
                handle = backend.start(spec);
                configureInterfaces(handle, e.record.interfaces());
                runStartupScript(handle);
                e.handle = handle;
                e.startedAt = Instant.now();
                watch(e, handle);
                setState(e, GuestState.RUNNING);
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
                    releaseHostResources(e.record);
                } catch (RuntimeException cleanupEx) {
                    ex.addSuppressed(cleanupEx);
                }
                setState(e, GuestState.STOPPED);
                throw ex;
            }
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Map<String, String> startGuests(Collection<String> names, Progress progress) {
        return bulk(names, progress, "started", this::startGuest);
    }

    @Override
    public Guest stopGuest(String name, Duration timeout) {
        return stopGuest(name, timeout, null);
    }

    /**
     * Stops a guest; with {@code deferredTaps} its TAPs are not deleted but recorded there (by
     * guest name) for the caller to delete in one batch.
     */
    private Guest stopGuest(String name, Duration timeout, Map<String, List<String>> deferredTaps) {
        GuestEntry e = entry(name);
        e.lock.lock();
        try {
            if (e.state == GuestState.CRASHED) {
                releaseHostResources(e.record, deferredTaps);
                setState(e, GuestState.STOPPED);
                return e.toApi();
            }
            if (!e.isUp()) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + name + "' is " + e.state.name().toLowerCase());
            }
            GuestHandle h = e.handle;
            setState(e, GuestState.STOPPING);
            try {
                if (h.isPaused()) {
                    h.resume();
                }
                h.stop(timeout);
            } finally {
                e.handle = null;
                releaseHostResources(e.record, deferredTaps);
                e.startedAt = null;
                setState(e, GuestState.STOPPED);
            }
            return e.toApi();
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Map<String, String> stopGuests(Collection<String> names, Duration timeout, Progress progress) {
        // TAPs go in one batch at the end: deleted guest by guest, each deletion waits for its own
        // RCU grace period under the RTNL lock (~19 ms, serialised), 2 s per 100 guests (bench).
        Map<String, List<String>> deferred = new ConcurrentHashMap<>();
        Map<String, String> failures = bulk(names, progress, "stopped", n -> stopGuest(n, timeout, deferred));
        deleteTapsOfStopped(deferred, failures);
        return failures;
    }

    /**
     * Deletes the TAPs that a bulk stop left, under the guests' locks (in name order, like
     * {@link #withAllGuestsLocked}), skipping guests that were started again meanwhile.
     */
    private void deleteTapsOfStopped(Map<String, List<String>> tapsByGuest, Map<String, String> failures) {
        List<GuestEntry> locked = new ArrayList<>();
        try {
            List<String> batch = new ArrayList<>();
            for (String name : new java.util.TreeSet<>(tapsByGuest.keySet())) {
                GuestEntry e = guests.get(name);
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
                    deleteTaps(batch);
                } catch (RuntimeException ex) {
                    locked.forEach(e -> failures.put(e.name, "deleting its TAPs: " + ex.getMessage()));
                }
            }
        } finally {
            locked.forEach(e -> e.lock.unlock());
        }
    }

    private Map<String, String> bulk(Collection<String> names, Progress progress, String verb,
                                     java.util.function.Function<String, Guest> op) {
        List<String> list = List.copyOf(new java.util.LinkedHashSet<>(names));
        for (String n : list) {
            entry(n);
        }
        int concurrency = config.startConcurrency() > 0 ? config.startConcurrency()
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
        } catch (java.util.concurrent.ExecutionException ex) {
            throw new DummException(Reason.HOST_ERROR, ex.getCause().getMessage(), ex.getCause());
        } finally {
            pool.shutdownNow();
        }
        return failures;
    }

    @Override
    public Guest pauseGuest(String name) {
        GuestEntry e = entry(name);
        e.lock.lock();
        try {
            requireState(e, GuestState.RUNNING);
            e.handle.pause();
            setState(e, GuestState.PAUSED);
            return e.toApi();
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Guest resumeGuest(String name) {
        GuestEntry e = entry(name);
        e.lock.lock();
        try {
            requireState(e, GuestState.PAUSED);
            e.handle.resume();
            setState(e, GuestState.RUNNING);
            return e.toApi();
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Optional<Guest> guest(String name) {
        GuestEntry e = guests.get(name);
        return e == null ? Optional.empty() : Optional.of(e.toApi());
    }

    @Override
    public List<Guest> guests() {
        return guests.values().stream().map(GuestEntry::toApi).toList();
    }

    // ---- interfaces ----------------------------------------------------------------------------

    @Override
    public Iface addInterface(String guest, String iface, String bridge, String mac, Transport transport) {
        HostNames.checkIface(iface);
        String guestMac = mac == null || mac.isBlank() ? HostNames.mac(guest, iface) : HostNames.checkMac(mac);
        Transport t = transport == null ? Transport.TUNTAP : transport;
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            if (e.record.iface(iface).isPresent()) {
                throw new DummException(Reason.ALREADY_EXISTS, "guest '" + guest + "' already has interface " + iface);
            }
            if (bridge != null) {
                requireBridge(bridge);
            }
            if (e.state == GuestState.PAUSED || e.state == GuestState.UNAVAILABLE || e.state == GuestState.STARTING
                    || e.state == GuestState.STOPPING) {
                throw new DummException(Reason.INVALID_STATE, "guest '" + guest + "' is " + e.state.name().toLowerCase()
                        + "; interfaces can be added while it runs or is stopped");
            }
            IfaceRecord record;
            modelLock.lock();
            try {
                String tap = HostNames.tapName(guest, iface, this::nameInUse);
                record = new IfaceRecord(iface, tap, guestMac, t, bridge, List.of());
                // For a running guest createTap checks this on its way.
                if (!e.isUp() && taps.exists(tap) && taps.owner(tap).isEmpty()) {
                    throw new DummException(Reason.NOT_OWNED, "host device '" + tap + "' exists and is not Dumm's");
                }
            } finally {
                modelLock.unlock();
            }
            if (e.isUp()) {
                GuestHandle h = e.handle;
                boolean recorded = false;
                try {
                    GuestHandle.Completion up = h.plugInterfaceUp(new InterfaceSpec(iface, record.tap(), guestMac, t),
                            () -> createTap(e.record, record));
                    try {
                        // Recorded while the guest brings the link up (the device and its TAP
                        // exist by now), and taken back below if that fails.
                        updateRecord(e, e.record.withIface(record));
                        recorded = true;
                    } finally {
                        up.await();
                    }
                } catch (RuntimeException ex) {
                    try {
                        h.unplugInterface(iface);
                    } catch (RuntimeException ignored) {
                        // it may never have been plugged
                    }
                    deleteTaps(List.of(record.tap()));
                    if (recorded) {
                        try {
                            updateRecord(e, e.record.withoutIface(iface));
                        } catch (RuntimeException again) {
                            ex.addSuppressed(again);
                        }
                    }
                    throw ex;
                }
            } else {
                updateRecord(e, e.record.withIface(record));
            }
            post(DummEvents.IFACE_ADDED, guest, Map.of(DummEvents.IFACE, iface));
            return record.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public void removeInterface(String guest, String iface) {
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = iface(e, iface);
            requireNotBusy(e);
            if (e.isUp()) {
                e.handle.unplugInterface(iface);
            }
            deleteTaps(List.of(i.tap()));
            updateRecord(e, e.record.withoutIface(iface));
            post(DummEvents.IFACE_REMOVED, guest, Map.of(DummEvents.IFACE, iface));
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Iface connect(String guest, String iface, String bridge) {
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = iface(e, iface);
            requireBridge(bridge);
            if (bridge.equals(i.bridge())) {
                return i.toApi(guest);
            }
            if (e.isUp() && taps.exists(i.tap())) {
                if (i.bridge() != null && bridgeDriver.ports(i.bridge()).contains(i.tap())) {
                    bridgeDriver.removePort(i.bridge(), i.tap());
                }
                bridgeDriver.addPort(bridge, i.tap());
            }
            IfaceRecord updated = i.withBridge(bridge);
            updateRecord(e, e.record.withIface(updated));
            post(DummEvents.IFACE_CONNECTED, guest, Map.of(DummEvents.IFACE, iface, DummEvents.BRIDGE, bridge));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Iface disconnect(String guest, String iface) {
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = iface(e, iface);
            if (i.bridge() == null) {
                throw new DummException(Reason.INVALID_STATE, "interface " + guest + "/" + iface + " is not connected");
            }
            if (e.isUp() && bridgeDriver.exists(i.bridge()) && bridgeDriver.ports(i.bridge()).contains(i.tap())) {
                bridgeDriver.removePort(i.bridge(), i.tap());
            }
            IfaceRecord updated = i.withBridge(null);
            updateRecord(e, e.record.withIface(updated));
            post(DummEvents.IFACE_DISCONNECTED, guest, Map.of(DummEvents.IFACE, iface, DummEvents.BRIDGE, i.bridge()));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Iface addAddress(String guest, String iface, String cidr) {
        String address = Cidr.normalize(cidr);
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = iface(e, iface);
            if (i.addresses().contains(address)) {
                throw new DummException(Reason.ALREADY_EXISTS, guest + "/" + iface + " already has address " + address);
            }
            requireNotBusy(e);
            if (e.isUp()) {
                runChecked(e.handle, "ip addr add " + address + " dev " + iface, "adding " + address + " to " + guest + "/" + iface);
            }
            IfaceRecord updated = i.withAddress(address, true);
            updateRecord(e, e.record.withIface(updated));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    @Override
    public Iface removeAddress(String guest, String iface, String cidr) {
        String address = Cidr.normalize(cidr);
        GuestEntry e = entry(guest);
        e.lock.lock();
        try {
            IfaceRecord i = iface(e, iface);
            if (!i.addresses().contains(address)) {
                throw new DummException(Reason.NOT_FOUND, guest + "/" + iface + " has no address " + address);
            }
            requireNotBusy(e);
            if (e.isUp()) {
                runChecked(e.handle, "ip addr del " + address + " dev " + iface, "removing " + address + " from " + guest + "/" + iface);
            }
            IfaceRecord updated = i.withAddress(address, false);
            updateRecord(e, e.record.withIface(updated));
            return updated.toApi(guest);
        } finally {
            e.lock.unlock();
        }
    }

    // ---- bridges -------------------------------------------------------------------------------

    @Override
    public Bridge createBridge(String name) {
        Names.checkIfname("bridge", name);
        modelLock.lock();
        try {
            if (bridges.contains(name)) {
                throw new DummException(Reason.ALREADY_EXISTS, "bridge '" + name + "' already exists");
            }
            if (guests.values().stream().anyMatch(g -> g.record.interfaces().stream().anyMatch(i -> i.tap().equals(name)))) {
                throw new DummException(Reason.ALREADY_EXISTS, "'" + name + "' is the TAP name of a guest interface");
            }
            if (bridgeDriver.exists(name)) {
                if (!bridgeDriver.isOwned(name)) {
                    throw new DummException(Reason.NOT_OWNED, "a device named '" + name + "' exists on the host and is not Dumm's");
                }
                LOG.info("taking back Dumm's leftover bridge '{}'", name);
            } else {
                bridgeDriver.create(name);
            }
            bridges.add(name);
            try {
                saveMesh();
            } catch (RuntimeException ex) {
                bridges.remove(name);
                bridgeDriver.delete(name);
                throw ex;
            }
        } finally {
            modelLock.unlock();
        }
        post(DummEvents.BRIDGE_CREATED, name, Map.of());
        return bridge(name).orElseThrow();
    }

    @Override
    public void deleteBridge(String name) {
        requireBridge(name);
        // Detach the interfaces first, each under its own guest's lock.
        for (GuestEntry e : guests.values()) {
            for (IfaceRecord i : e.record.interfaces()) {
                if (name.equals(i.bridge())) {
                    disconnect(e.name, i.name());
                }
            }
        }
        modelLock.lock();
        try {
            if (bridgeDriver.exists(name) && bridgeDriver.isOwned(name)) {
                bridgeDriver.delete(name);
            }
            bridges.remove(name);
            saveMesh();
        } finally {
            modelLock.unlock();
        }
        post(DummEvents.BRIDGE_DELETED, name, Map.of());
    }

    @Override
    public Optional<Bridge> bridge(String name) {
        if (!bridges.contains(name)) {
            return Optional.empty();
        }
        List<String> ports = bridgeDriver.exists(name) ? bridgeDriver.ports(name) : List.of();
        return Optional.of(new Bridge(name, ports));
    }

    @Override
    public List<Bridge> bridges() {
        List<Bridge> list = new ArrayList<>();
        for (String b : bridges) {
            bridge(b).ifPresent(list::add);
        }
        return list;
    }

    // ---- exec and console ----------------------------------------------------------------------

    @Override
    public ExecResult exec(String guest, String command, Duration timeout) {
        if (command == null || command.isBlank()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "no command given");
        }
        GuestEntry e = entry(guest);
        GuestHandle h = e.handle;
        if (h == null || e.state != GuestState.RUNNING) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + guest + "' is " + e.state.name().toLowerCase() + ", not running");
        }
        return h.exec(command, timeout);
    }

    @Override
    public ConsoleSession console(String guest) {
        GuestEntry e = entry(guest);
        GuestHandle h = e.handle;
        if (h == null || !e.isUp()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + guest + "' is " + e.state.name().toLowerCase() + ", not running");
        }
        return h.console();
    }

    // ---- templates -----------------------------------------------------------------------------

    @Override
    public Template createTemplate(String name) {
        Template t = templates.create(name);
        return t;
    }

    @Override
    public void deleteTemplate(String name) {
        templates.delete(name);
    }

    @Override
    public Template loadTemplate(String name) {
        return withAllGuestsLocked(() -> {
            Template t = templates.load(name, mountedRoots());
            post(DummEvents.TEMPLATE_LOADED, name, Map.of());
            return t;
        });
    }

    @Override
    public void unloadTemplate() {
        withAllGuestsLocked(() -> {
            Optional<String> loaded = templates.loaded();
            if (loaded.isEmpty()) {
                throw new DummException(Reason.INVALID_STATE, "no template is loaded");
            }
            templates.unload(mountedRoots());
            post(DummEvents.TEMPLATE_UNLOADED, loaded.get(), Map.of());
            return null;
        });
    }

    @Override
    public Optional<Template> loadedTemplate() {
        return templates.loaded().flatMap(templates::get);
    }

    @Override
    public List<Template> templates() {
        return templates.list();
    }

    @Override
    public List<TemplateDiff> diffTemplate(String name) {
        List<GuestRoot> roots = new ArrayList<>();
        for (GuestEntry e : guests.values()) {
            roots.add(rootFor(e.record, backends.get(e.record.backend())));
        }
        return templates.diff(name, roots);
    }

    @Override
    public void exportTemplate(String name, Path archive) {
        templates.export(name, archive);
    }

    @Override
    public Template importTemplate(String name, Path archive) {
        return templates.importArchive(name, archive);
    }

    /** Roots of guests whose root is mounted now (running ones); stopped guests pick the stack up at boot. */
    private List<GuestRoot> mountedRoots() {
        List<GuestRoot> roots = new ArrayList<>();
        for (GuestEntry e : guests.values()) {
            GuestBackend b = backends.get(e.record.backend());
            Path union = store.guestDir(e.name).resolve("union");
            if (b != null && unionFs.isMounted(union)) {
                roots.add(rootFor(e.record, b));
            }
        }
        return roots;
    }

    /** Template switches must not race with guests starting or stopping. */
    private <T> T withAllGuestsLocked(Supplier<T> action) {
        List<GuestEntry> locked = new ArrayList<>();
        try {
            for (GuestEntry e : guests.values()) {
                e.lock.lock();
                locked.add(e);
            }
            return action.get();
        } finally {
            for (GuestEntry e : locked) {
                e.lock.unlock();
            }
        }
    }

    // ---- masters and status --------------------------------------------------------------------

    @Override
    public List<Master> masters() {
        return masters.list();
    }

    @Override
    public Master createMaster(MasterRequest request, Progress progress) {
        return masters.create(request, progress);
    }

    @Override
    public MeshStatus status() {
        Map<GuestState, Integer> counts = new EnumMap<>(GuestState.class);
        int ifaces = 0;
        for (GuestEntry e : guests.values()) {
            counts.merge(e.state, 1, Integer::sum);
            ifaces += e.record.interfaces().size();
        }
        return new MeshStatus(workDir.toString(), counts, bridges.size(), ifaces, templates.loaded().orElse(null),
                List.copyOf(new java.util.TreeSet<>(backends.keySet())));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private GuestEntry entry(String name) {
        GuestEntry e = name == null ? null : guests.get(name);
        if (e == null) {
            throw new DummException(Reason.NOT_FOUND, "guest '" + name + "' does not exist");
        }
        return e;
    }

    private static IfaceRecord iface(GuestEntry e, String iface) {
        return e.record.iface(iface).orElseThrow(() -> new DummException(Reason.NOT_FOUND,
                "guest '" + e.name + "' has no interface '" + iface + "'"));
    }

    /** True when a bridge or a guest interface's TAP of the mesh has this name. Holds {@link #modelLock}. */
    private boolean nameInUse(String name) {
        if (bridges.contains(name)) {
            return true;
        }
        for (GuestEntry g : guests.values()) {
            for (IfaceRecord i : g.record.interfaces()) {
                if (i.tap().equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void requireBridge(String bridge) {
        if (bridge == null || !bridges.contains(bridge)) {
            throw new DummException(Reason.NOT_FOUND, "bridge '" + bridge + "' does not exist");
        }
    }

    private static void requireState(GuestEntry e, GuestState wanted) {
        if (e.state != wanted || e.handle == null) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + e.name + "' is " + e.state.name().toLowerCase()
                    + ", not " + wanted.name().toLowerCase());
        }
    }

    private static void requireNotBusy(GuestEntry e) {
        GuestState s = e.state;
        if (s == GuestState.PAUSED || s == GuestState.UNAVAILABLE || s == GuestState.STARTING || s == GuestState.STOPPING) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + e.name + "' is " + s.name().toLowerCase());
        }
    }

    private GuestBackend backend(GuestRecord r) {
        GuestBackend b = backends.get(r.backend());
        if (b == null) {
            throw new DummException(Reason.BACKEND_UNAVAILABLE, "backend '" + r.backend() + "' of guest '" + r.name() + "' is not available");
        }
        return b;
    }

    private GuestRoot rootFor(GuestRecord r, GuestBackend backend) {
        Path dir = store.guestDir(r.name());
        Path boot = null;
        if (backend != null) {
            boot = backend.bootLayer(workDir);
        }
        return new GuestRoot(r.name(), masters.dir(r.master()), dir.resolve("diff"), dir.resolve("work"),
                dir.resolve("union"), boot);
    }

    private GuestSpec specFor(GuestRecord r) {
        Path dir = store.guestDir(r.name());
        List<InterfaceSpec> ifaces = r.interfaces().stream()
                .map(i -> new InterfaceSpec(i.name(), i.tap(), i.mac(), i.transport())).toList();
        return new GuestSpec(r.name(), Path.of(r.kernel()), dir.resolve("union"), dir.resolve("run"), r.memoryMb(),
                r.extraArgs(), ifaces, Duration.ofSeconds(config.bootTimeoutSeconds()), 0);
    }

    private static void createDirectory(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new DummException(Reason.HOST_ERROR, "cannot create " + dir + ": " + ex.getMessage(), ex);
        }
    }

    private static String owner(GuestRecord g, IfaceRecord i) {
        return g.name() + ":" + i.name();
    }

    /** Creates an interface's TAP, up and attached to its bridge; leaves nothing on failure. */
    private void createTap(GuestRecord g, IfaceRecord i) {
        try {
            createTapOnBridge(g, i);
        } catch (DummException ex) {
            // The name is taken (the kernel refuses to reuse a device: IFF_TUN_EXCL). Looked at
            // only now, so that the usual case costs no lookup: a TAP of Dumm's left behind by a
            // crash is replaced, anything else is not Dumm's to touch.
            if (ex.reason() != Reason.ALREADY_EXISTS) {
                throw ex;
            }
            if (taps.owner(i.tap()).isEmpty()) {
                throw new DummException(Reason.NOT_OWNED, "host device '" + i.tap() + "' exists and is not Dumm's");
            }
            taps.delete(i.tap());
            createTapOnBridge(g, i);
        }
    }

    private void createTapOnBridge(GuestRecord g, IfaceRecord i) {
        try {
            taps.createUp(i.tap(), owner(g, i), null, i.bridge());
        } catch (DummException ex) {
            // A bridge of the mesh removed from the host behind Dumm's back is made again.
            if (ex.reason() != Reason.NOT_FOUND || i.bridge() == null || bridgeDriver.exists(i.bridge())) {
                throw ex;
            }
            bridgeDriver.create(i.bridge());
            taps.createUp(i.tap(), owner(g, i), null, i.bridge());
        }
    }

    /** After a re-adoption: the TAP must still exist (the guest holds it) and sit on its bridge. */
    private void ensureTap(GuestRecord g, IfaceRecord i) {
        if (!taps.exists(i.tap())) {
            LOG.warn("TAP '{}' of running guest '{}' is gone; recreating it unattached to the guest", i.tap(), g.name());
            createTap(g, i);
            return;
        }
        if (i.bridge() != null) {
            if (!bridgeDriver.exists(i.bridge())) {
                bridgeDriver.create(i.bridge());
            }
            if (!bridgeDriver.ports(i.bridge()).contains(i.tap())) {
                bridgeDriver.addPort(i.bridge(), i.tap());
            }
        }
    }

    private void deleteTaps(List<String> names) {
        List<String> present = names.stream().filter(taps::exists).toList();
        if (!present.isEmpty()) {
            taps.deleteAll(present);
        }
    }

    /** Removes a stopped guest's TAPs and root mount; safe to call when there is nothing. */
    private void releaseHostResources(GuestRecord g) {
        releaseHostResources(g, null);
    }

    /** As above; with {@code deferredTaps} the TAPs are recorded there (by guest) instead of deleted. */
    private void releaseHostResources(GuestRecord g, Map<String, List<String>> deferredTaps) {
        List<String> names = new ArrayList<>();
        for (IfaceRecord i : g.interfaces()) {
            if (taps.exists(i.tap()) && taps.owner(i.tap()).isPresent()) {
                names.add(i.tap());
            }
        }
        RuntimeException failure = null;
        if (deferredTaps != null && !names.isEmpty()) {
            deferredTaps.put(g.name(), names);
        } else if (!names.isEmpty()) {
            try {
                taps.deleteAll(names);
            } catch (RuntimeException ex) {
                failure = ex;
            }
        }
        Path union = store.guestDir(g.name()).resolve("union");
        if (unionFs.isMounted(union)) {
            unionFs.unmount(union);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Brings interfaces up inside the guest (through the backend: for UML an ioctl in the agent,
     * no process, where {@code ip link set up} costs 5-30 ms of forking under UML), then sets
     * their addresses, all in one exec.
     */
    private static void configureInterfaces(GuestHandle h, List<IfaceRecord> ifaces) {
        StringBuilder cmd = new StringBuilder("set -e");
        for (IfaceRecord i : ifaces) {
            h.setLinkUp(i.name(), true);
            for (String a : i.addresses()) {
                cmd.append("; ip addr add ").append(a).append(" dev ").append(i.name());
            }
        }
        if (cmd.length() > "set -e".length()) {
            runChecked(h, cmd.toString(), "configuring interfaces of " + h.name());
        }
    }

    /**
     * Runs the guest's own {@code /etc/dumm/startup} (routes, forwarding, daemons) once its
     * interfaces are configured, like a Netkit/Kathará {@code .startup} file. A failing script is
     * logged, not fatal: the guest is up and the user can look inside.
     */
    private static void runStartupScript(GuestHandle h) {
        ExecResult r = h.exec("[ ! -f " + STARTUP_SCRIPT + " ] || /bin/sh " + STARTUP_SCRIPT, STARTUP_TIMEOUT);
        if (!r.succeeded()) {
            LOG.warn("{} of guest '{}' failed (status {}): {}", STARTUP_SCRIPT, h.name(), r.exitStatus(), r.stderrText().trim());
        }
    }

    private static void runChecked(GuestHandle h, String command, String what) {
        ExecResult r = h.exec(command, ADDRESS_TIMEOUT);
        if (!r.succeeded()) {
            throw new DummException(Reason.GUEST_FAILURE, what + " failed (status " + r.exitStatus() + "): "
                    + r.stderrText().trim());
        }
    }

    private void watch(GuestEntry e, GuestHandle h) {
        h.exited().thenAccept(requested -> {
            if (requested || e.handle != h || !active) {
                return;
            }
            // Died on its own: report at once, tidy its devices and mount in the background.
            e.handle = null;
            setState(e, GuestState.CRASHED);
            LOG.warn("guest '{}' (pid {}) died", e.name, h.pid());
            executor.execute(() -> {
                e.lock.lock();
                try {
                    if (e.state == GuestState.CRASHED && e.handle == null) {
                        releaseHostResources(e.record);
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("cleaning up after crashed guest '{}': {}", e.name, ex.getMessage());
                } finally {
                    e.lock.unlock();
                }
            });
        });
    }

    private void updateRecord(GuestEntry e, GuestRecord record) {
        modelLock.lock();
        try {
            GuestRecord old = e.record;
            e.record = record;
            try {
                store.saveGuest(record);
                saveMesh();
            } catch (RuntimeException ex) {
                e.record = old;
                throw ex;
            }
        } finally {
            modelLock.unlock();
        }
    }

    private void saveMesh() {
        List<GuestRecord> records = new ArrayList<>();
        guests.values().forEach(g -> records.add(g.record));
        store.saveMesh(bridges, records);
    }

    private void setState(GuestEntry e, GuestState state) {
        if (e.state != state) {
            e.state = state;
            post(DummEvents.GUEST_STATE, e.name, Map.of(DummEvents.STATE, state.name()));
        }
    }

    private void post(String topic, String name, Map<String, String> extra) {
        EventAdmin ea = events;
        if (ea == null) {
            return;
        }
        Map<String, Object> props = new HashMap<>(extra);
        props.put(DummEvents.NAME, name);
        ea.postEvent(new Event(topic, props));
    }

    /** For tests and the shell: the working directory in use. */
    public Path workDir() {
        return workDir;
    }
}
