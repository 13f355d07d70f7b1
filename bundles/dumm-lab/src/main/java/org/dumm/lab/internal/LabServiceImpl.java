package org.dumm.lab.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;
import org.dumm.api.GuestState;
import org.dumm.api.Master;
import org.dumm.api.Mesh;
import org.dumm.api.Progress;
import org.dumm.lab.Lab;
import org.dumm.lab.LabChange;
import org.dumm.lab.LabDevice;
import org.dumm.lab.LabInfo;
import org.dumm.lab.LabLink;
import org.dumm.lab.LabOptions;
import org.dumm.lab.LabPlan;
import org.dumm.lab.LabService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

/**
 * Labs on the {@link Mesh} service alone: plans from the remembered state (under
 * {@code labs/} in Dumm's work directory) to the source, applies them live and undoes what it did
 * when a step fails. Image-to-master mappings come from {@code image.NAME=MASTER} in
 * etc/org.dumm.lab.cfg.
 */
@Component(service = LabService.class, configurationPid = "org.dumm.lab")
public class LabServiceImpl implements LabService {

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    @Reference
    Mesh mesh;

    private volatile Map<String, String> images = Map.of();

    public LabServiceImpl() {
    }

    /** Outside OSGi (tests, tools). */
    public LabServiceImpl(Mesh mesh, Map<String, String> images) {
        this.mesh = mesh;
        this.images = Map.copyOf(images);
    }

    @Activate
    @Modified
    void configure(Map<String, Object> properties) {
        Map<String, String> m = new HashMap<>();
        properties.forEach((k, v) -> {
            if (k.startsWith("image.") && v != null) {
                m.put(k.substring("image.".length()), v.toString().strip());
            }
        });
        images = Map.copyOf(m);
    }

    private Path labsDir() {
        return Path.of(mesh.status().workDir()).resolve("labs");
    }

    @Override
    public Lab read(Path source, LabOptions options) {
        return LabConfParser.exclude(parse(source, options.name()), options.exclude());
    }

    /**
     * A Netkit/Kathará directory (or its lab.conf), a YAML lab file, or a directory with a
     * lab.yaml and no lab.conf.
     */
    private static Lab parse(Path source, String name) {
        if (!Files.exists(source)) {
            throw new DummException(Reason.NOT_FOUND, "no lab at " + source);
        }
        if (LabYamlParser.isYaml(source)) {
            return LabYamlParser.parse(source, name);
        }
        if (Files.isDirectory(source) && !Files.exists(source.resolve("lab.conf"))) {
            Path yaml = LabYamlParser.inDirectory(source);
            if (yaml != null) {
                return LabYamlParser.parse(yaml, name);
            }
            throw new DummException(Reason.INVALID_ARGUMENT, "no lab.conf, lab.yaml or lab.yml in " + source);
        }
        return LabConfParser.parse(source, name);
    }

    /** A lab read and resolved: its desired state, its remembered one, and the warnings. */
    private record Resolved(Lab lab, LabState want, LabState was, List<String> warnings) {
    }

    private synchronized Resolved resolve(Path source, LabOptions options) {
        Lab lab = read(source, options);
        List<String> warnings = new ArrayList<>(lab.warnings());
        Map<String, String> masters = new HashMap<>();
        List<String> known = mesh.masters().stream().map(Master::name).toList();
        for (LabDevice d : lab.devices()) {
            if (d.master() != null) {
                if (!known.contains(d.master())) {
                    throw new DummException(Reason.NOT_FOUND, "device " + d.name() + ": master " + d.master()
                            + " does not exist");
                }
                masters.put(d.name(), d.master());
                continue;
            }
            if (d.image() == null) {
                continue;
            }
            String master = options.images().getOrDefault(d.image(), images.get(d.image()));
            if (master == null) {
                warnings.add("device " + d.name() + ": image " + d.image() + " has no master mapping (image."
                        + d.image() + " in etc/org.dumm.lab.cfg or --image), the default master is used");
            } else if (!known.contains(master)) {
                throw new DummException(Reason.NOT_FOUND, "device " + d.name() + ": image " + d.image()
                        + " maps to master " + master + ", which does not exist");
            } else {
                masters.put(d.name(), master);
            }
        }
        LabState want = LabState.desired(lab, masters);
        Path f = LabState.file(labsDir(), lab.name());
        LabState was = Files.isRegularFile(f) ? LabState.load(f) : null;
        if (lab.template() != null) {
            if (mesh.templates().stream().noneMatch(t -> t.name().equals(lab.template()))) {
                throw new DummException(Reason.NOT_FOUND, "lab " + lab.name() + ": template " + lab.template()
                        + " does not exist");
            }
            mesh.loadedTemplate().filter(t -> !t.name().equals(lab.template())
                            && (was == null || !t.name().equals(was.template())))
                    .ifPresent(t -> {
                        throw new DummException(Reason.INVALID_STATE, "lab " + lab.name() + " needs template "
                                + lab.template() + ", but template " + t.name() + " is loaded");
                    });
        }
        if (was != null && !was.source().equals(want.source())) {
            warnings.add("lab " + lab.name() + " was applied from " + was.source() + ", now from " + want.source());
        }
        return new Resolved(lab, want, was, warnings);
    }

    @Override
    public LabPlan plan(Path source, LabOptions options) {
        Resolved r = resolve(source, options);
        return new LabPlan(r.lab().name(), r.was() == null, LabPlanner.plan(r.was(), r.want()), r.warnings());
    }

    @Override
    public synchronized LabPlan apply(Path source, LabOptions options, Progress progress) {
        Resolved r = resolve(source, options);
        List<LabChange> changes = LabPlanner.plan(r.was(), r.want());
        LabPlan plan = new LabPlan(r.lab().name(), r.was() == null, changes, r.warnings());
        if (r.was() == null) {
            checkFree(r.want());
        }
        new LabApplier(mesh, r.lab(), r.was(), r.want(), progress).run(changes);
        r.want().save(labsDir());
        return plan;
    }

    /** A new lab's guests and bridges must not exist yet (another lab's or made by hand). */
    private void checkFree(LabState want) {
        for (LabState.Device d : want.devices().values()) {
            if (mesh.guest(d.guest()).isPresent()) {
                throw new DummException(Reason.ALREADY_EXISTS, "guest " + d.guest() + " exists already (not in lab "
                        + want.name() + "): delete it or use --name");
            }
        }
        for (String b : want.segments().values()) {
            if (mesh.bridge(b).isPresent()) {
                throw new DummException(Reason.ALREADY_EXISTS, "bridge " + b + " exists already (not in lab "
                        + want.name() + ")");
            }
        }
    }

    @Override
    public synchronized void destroy(String nameOrPath, Progress progress) {
        LabState s = remembered(nameOrPath);
        List<String> running = new ArrayList<>();
        for (LabState.Device d : s.devices().values()) {
            mesh.guest(d.guest()).filter(g -> g.state() == GuestState.RUNNING || g.state() == GuestState.PAUSED)
                    .ifPresent(g -> running.add(g.name()));
        }
        if (!running.isEmpty()) {
            mesh.stopGuests(running, STOP_TIMEOUT, progress);
        }
        for (LabState.Device d : s.devices().values()) {
            if (mesh.guest(d.guest()).isPresent()) {
                mesh.deleteGuest(d.guest(), true);
                progress.report("deleted guest " + d.guest());
            }
        }
        for (String b : s.segments().values()) {
            if (mesh.bridge(b).isPresent()) {
                mesh.deleteBridge(b);
                progress.report("deleted bridge " + b);
            }
        }
        if (s.template() != null && mesh.loadedTemplate().map(t -> t.name().equals(s.template())).orElse(false)) {
            mesh.unloadTemplate();
            progress.report("unloaded template " + s.template());
        }
        deleteTree(LabState.file(labsDir(), s.name()).getParent());
    }

    private LabState remembered(String nameOrPath) {
        Path f = LabState.file(labsDir(), nameOrPath);
        if (!nameOrPath.contains("/") && Files.isRegularFile(f)) {
            return LabState.load(f);
        }
        String abs = Path.of(nameOrPath).toAbsolutePath().normalize().toString();
        for (LabState s : all()) {
            if (s.source().equals(abs)) {
                return s;
            }
        }
        throw new DummException(Reason.NOT_FOUND, "no lab " + nameOrPath);
    }

    private List<LabState> all() {
        Path dir = labsDir();
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.resolve("state.properties")).filter(Files::isRegularFile).sorted()
                    .map(LabState::load).toList();
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized String export(String name, Path file) {
        Path f = LabState.file(labsDir(), name);
        if (name.contains("/") || !Files.isRegularFile(f)) {
            throw new DummException(Reason.NOT_FOUND, "no lab " + name);
        }
        LabState s = LabState.load(f);
        Lab source = null;
        try {
            source = parse(Path.of(s.source()), s.name());
        } catch (DummException e) {
            // the source may have been edited or moved since: the remembered state and the mesh suffice
        }
        return LabExport.write(s, source, mesh, file);
    }

    @Override
    public String schema() {
        try (var in = LabYamlParser.class.getResourceAsStream(LabYamlParser.SCHEMA)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot read the lab schema: " + e.getMessage(), e);
        }
    }

    @Override
    public List<LabInfo> labs() {
        return all().stream().map(this::info).toList();
    }

    @Override
    public Optional<LabInfo> info(String name) {
        Path f = LabState.file(labsDir(), name);
        return name.contains("/") || !Files.isRegularFile(f) ? Optional.empty() : Optional.of(info(LabState.load(f)));
    }

    private LabInfo info(LabState s) {
        List<LabInfo.Device> devices = new ArrayList<>();
        Map<String, List<String>> members = new TreeMap<>();
        s.devices().forEach((dev, d) -> {
            Optional<Guest> g = mesh.guest(d.guest());
            devices.add(new LabInfo.Device(dev, d.guest(), g.map(x -> x.state().name().toLowerCase()).orElse("missing"),
                    g.map(Guest::master).orElse(d.master()), g.map(Guest::memoryMb).orElse(d.memoryMb()),
                    g.map(x -> LabExport.liveLinks(x, d.links())).orElse(d.links())));
            for (LabLink l : d.links()) {
                members.computeIfAbsent(l.cd(), k -> new ArrayList<>()).add(dev + ":" + l.iface());
            }
        });
        List<LabInfo.Segment> segments = new ArrayList<>();
        s.segments().forEach((cd, b) -> segments.add(new LabInfo.Segment(cd, b, members.getOrDefault(cd, List.of()))));
        return new LabInfo(s.name(), s.source(), devices, segments);
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.compareTo(a)).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new DummException(Reason.HOST_ERROR, "cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Guest definition of a device: backend, kernel, master and memory; null ones Dumm's defaults. */
    static GuestDefinition definition(LabState.Device d) {
        return new GuestDefinition(d.guest(), d.backend(), d.kernel(), d.master(), d.memoryMb(), List.of());
    }
}
