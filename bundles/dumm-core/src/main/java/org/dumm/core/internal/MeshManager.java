package org.dumm.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.dumm.api.Bridge;
import org.dumm.api.ConsoleSession;
import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Iface;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.api.Mesh;
import org.dumm.api.MeshStatus;
import org.dumm.api.Progress;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.Transport;
import org.dumm.api.spi.BridgeDriver;
import org.dumm.api.spi.GuestBackend;
import org.dumm.api.spi.GuestHandle;
import org.dumm.api.spi.PortKind;
import org.dumm.api.spi.TapDriver;
import org.dumm.api.spi.VethDriver;
import org.dumm.api.spi.TemplateStore;
import org.dumm.api.spi.UnionFs;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Mesh} service: guests, bridges, links and templates, persisted under the working
 * directory and re-adopted on start. This class is the component — its references, settings and
 * life cycle — and hands each call to the part that does it:
 * <ul>
 * <li>{@link GuestLifecycle}: create, start, stop, pause, delete, re-adoption, crashes;</li>
 * <li>{@link Wiring}: interfaces, links, addresses, bridges;</li>
 * <li>{@link RootLayers}: masters, templates and the layers of a guest's root;</li>
 * <li>{@link HostPorts}: TAPs, bridge ports and mounts on the host;</li>
 * <li>{@link MeshModel}: the model, its persistence and the locking discipline all of them share;</li>
 * <li>{@link MeshEvents}: EventAdmin.</li>
 * </ul>
 * Drivers and backends do the host work; the parts keep the model, validate before acting, and
 * undo what they did when a step fails.
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

        @AttributeDefinition(description = "Kernel modules directory for guests that name none; empty for the one "
                + "found for each kernel (Debian's linux.uml: /usr/lib/uml/modules/RELEASE); 'none' for no modules")
        String defaultModules() default "";
    }

    private static final Logger LOG = LoggerFactory.getLogger(MeshManager.class);

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
    /** Host ends for backends whose {@link GuestBackend#portKind} is VETH. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile VethDriver veths;

    /** Bound backends by name; DS may bind them before activation. */
    private final Map<String, GuestBackend> backends = new ConcurrentHashMap<>();
    private volatile boolean active;
    private volatile Config config;
    private Path workDir;
    private MeshStore store;
    private MeshModel model;
    private ExecutorService executor;
    private volatile GuestLifecycle lifecycle;
    private Wiring wiring;
    private LinkControl links;
    private RootLayers layers;

    // ---- life cycle ----------------------------------------------------------------------------

    @Activate
    void activate(Config config) {
        this.config = config;
        this.workDir = resolveWorkDir(config.workDir());
        this.store = new MeshStore(workDir);
        this.model = new MeshModel(store, backends);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "dumm-mesh");
            t.setDaemon(true);
            return t;
        });
        MeshEvents meshEvents = new MeshEvents(() -> events);
        HostPorts ports = new HostPorts(taps, bridgeDriver, unionFs, store, () -> veths, r -> {
            GuestBackend b = backends.get(r.backend());
            return b == null ? PortKind.TAP : b.portKind();
        });
        this.layers = new RootLayers(workDir, model, meshEvents, templates, unionFs, () -> this.config);
        this.wiring = new Wiring(model, meshEvents, ports, bridgeDriver);
        this.links = new LinkControl(model, meshEvents, taps);
        this.lifecycle = new GuestLifecycle(model, meshEvents, ports, layers, unionFs, () -> this.config, executor,
                () -> active, links);
        try {
            Files.createDirectories(workDir.resolve("guests"));
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot create working directory " + workDir + ": " + e.getMessage(), e);
        }
        restore();
        active = true;
        // Backends bound before activation were only recorded: adopt their guests now.
        for (GuestBackend backend : model.backends().values()) {
            lifecycle.adoptAll(backend);
        }
        LOG.info("Dumm mesh ready in {}: {} guests, {} bridges", workDir, model.entries().size(), model.bridgeNames().size());
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
        lifecycle.detachAll();
        executor.shutdownNow();
        store.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBackend(GuestBackend backend) {
        backends.put(backend.name(), backend);
        if (active) {
            lifecycle.adoptAll(backend);
        }
    }

    void removeBackend(GuestBackend backend) {
        backends.remove(backend.name(), backend);
        if (lifecycle != null) {
            lifecycle.orphanAll(backend);
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
            wiring.restoreBridge(bridge);
        }
        for (GuestRecord r : snapshot.guests().values()) {
            GuestEntry e = new GuestEntry(r);
            e.state = model.backends().containsKey(r.backend()) ? GuestState.STOPPED : GuestState.UNAVAILABLE;
            model.putGuest(e);
        }
    }

    // ---- guests --------------------------------------------------------------------------------

    @Override
    public Guest createGuest(GuestDefinition definition) {
        return lifecycle.create(definition);
    }

    @Override
    public void deleteGuest(String name, boolean force) {
        lifecycle.delete(name, force);
    }

    @Override
    public Guest startGuest(String name) {
        return lifecycle.start(name);
    }

    @Override
    public Guest awaitStartup(String name, Duration timeout) {
        return lifecycle.awaitStartup(name, timeout);
    }

    @Override
    public Map<String, String> startGuests(Collection<String> names, Progress progress) {
        return lifecycle.startAll(names, progress);
    }

    @Override
    public Guest stopGuest(String name, Duration timeout) {
        return lifecycle.stop(name, timeout);
    }

    @Override
    public Map<String, String> stopGuests(Collection<String> names, Duration timeout, Progress progress) {
        return lifecycle.stopAll(names, timeout, progress);
    }

    @Override
    public Guest pauseGuest(String name) {
        return lifecycle.pause(name);
    }

    @Override
    public Guest resumeGuest(String name) {
        return lifecycle.resume(name);
    }

    @Override
    public Optional<Guest> guest(String name) {
        GuestEntry e = model.find(name);
        return e == null ? Optional.empty() : Optional.of(e.toApi());
    }

    @Override
    public List<Guest> guests() {
        return model.entries().stream().map(GuestEntry::toApi).toList();
    }

    // ---- interfaces, links, addresses, bridges -------------------------------------------------

    @Override
    public Iface addInterface(String guest, String iface, String bridge, String mac, Transport transport) {
        return wiring.addInterface(guest, iface, bridge, mac, transport);
    }

    @Override
    public void removeInterface(String guest, String iface) {
        wiring.removeInterface(guest, iface);
    }

    @Override
    public Iface connect(String guest, String iface, String bridge) {
        return wiring.connect(guest, iface, bridge);
    }

    @Override
    public Iface disconnect(String guest, String iface) {
        return wiring.disconnect(guest, iface);
    }

    @Override
    public Iface addAddress(String guest, String iface, String cidr) {
        return wiring.addAddress(guest, iface, cidr);
    }

    @Override
    public Iface removeAddress(String guest, String iface, String cidr) {
        return wiring.removeAddress(guest, iface, cidr);
    }

    @Override
    public Iface setCarrier(String guest, String iface, boolean up) {
        return links.setCarrier(guest, iface, up);
    }

    @Override
    public Iface setImpairment(String guest, String iface, LinkDirection direction, Impairment impairment) {
        return links.setImpairment(guest, iface, direction, impairment);
    }

    @Override
    public Bridge createBridge(String name) {
        return wiring.createBridge(name);
    }

    @Override
    public void deleteBridge(String name) {
        wiring.deleteBridge(name);
    }

    @Override
    public Optional<Bridge> bridge(String name) {
        return wiring.bridge(name);
    }

    @Override
    public List<Bridge> bridges() {
        return wiring.bridges();
    }

    // ---- exec and console ----------------------------------------------------------------------

    @Override
    public ExecResult exec(String guest, String command, Duration timeout) {
        if (command == null || command.isBlank()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "no command given");
        }
        return runningHandle(model.entry(guest)).exec(command, timeout);
    }

    @Override
    public ExecSession openSession(String guest) {
        GuestEntry e = model.entry(guest);
        return new ShellSession(e, runningHandle(e));
    }

    /** The handle of a guest that is RUNNING (not paused, starting or stopping); INVALID_STATE otherwise. */
    private static GuestHandle runningHandle(GuestEntry e) {
        GuestHandle h = e.handle;
        if (h == null || e.state != GuestState.RUNNING) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + e.name + "' is " + e.state.name().toLowerCase() + ", not running");
        }
        return h;
    }

    @Override
    public ConsoleSession console(String guest) {
        GuestEntry e = model.entry(guest);
        GuestHandle h = e.handle;
        if (h == null || !e.isUp()) {
            throw new DummException(Reason.INVALID_STATE, "guest '" + guest + "' is " + e.state.name().toLowerCase() + ", not running");
        }
        return h.console();
    }

    // ---- templates and masters -----------------------------------------------------------------

    @Override
    public Template createTemplate(String name) {
        return layers.createTemplate(name);
    }

    @Override
    public void deleteTemplate(String name) {
        layers.deleteTemplate(name);
    }

    @Override
    public Template loadTemplate(String name) {
        return layers.loadTemplate(name);
    }

    @Override
    public void unloadTemplate() {
        layers.unloadTemplate();
    }

    @Override
    public Optional<Template> loadedTemplate() {
        return layers.loadedTemplate();
    }

    @Override
    public List<Template> templates() {
        return layers.listTemplates();
    }

    @Override
    public List<TemplateDiff> diffTemplate(String name) {
        return layers.diffTemplate(name);
    }

    @Override
    public void exportTemplate(String name, Path archive) {
        layers.exportTemplate(name, archive);
    }

    @Override
    public Template importTemplate(String name, Path archive) {
        return layers.importTemplate(name, archive);
    }

    @Override
    public List<Master> masters() {
        return layers.masters();
    }

    @Override
    public Master createMaster(MasterRequest request, Progress progress) {
        return layers.createMaster(request, progress);
    }

    @Override
    public Master importMaster(String name, Path source, Progress progress) {
        return layers.importMaster(name, source, progress);
    }

    @Override
    public void deleteMaster(String name) {
        layers.deleteMaster(name);
    }

    @Override
    public int execInMaster(String name, String commandLine, Progress output) {
        return layers.execInMaster(name, commandLine, output);
    }

    // ---- overview ------------------------------------------------------------------------------

    @Override
    public MeshStatus status() {
        Map<GuestState, Integer> counts = new EnumMap<>(GuestState.class);
        int ifaces = 0;
        for (GuestEntry e : model.entries()) {
            counts.merge(e.state, 1, Integer::sum);
            ifaces += e.record.interfaces().size();
        }
        return new MeshStatus(workDir.toString(), counts, model.bridgeNames().size(), ifaces,
                templates.loaded().orElse(null), List.copyOf(new TreeSet<>(model.backends().keySet())));
    }

    /** For tests and the shell: the working directory in use. */
    public Path workDir() {
        return workDir;
    }
}
