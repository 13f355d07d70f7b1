package org.dumm.test.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.dumm.api.Mesh;
import org.dumm.lab.LabService;
import org.dumm.test.RunOptions;
import org.dumm.test.RunReport;
import org.dumm.test.ScenarioResult;
import org.dumm.test.ScenarioRunner;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/** The scenario runner on the Mesh service; scenarios run one after the other. */
@Component(service = ScenarioRunner.class)
public class ScenarioRunnerImpl implements ScenarioRunner {

    private final Mesh mesh;
    private final LabService labs;

    /** Without labs: a checks-only directory's devices are the guests of their names (with the run's prefix). */
    public ScenarioRunnerImpl(Mesh mesh) {
        this(mesh, null);
    }

    /** The lab service, when installed, maps a lab directory's devices to their guests; greedy, so it is taken when it comes. */
    @Activate
    public ScenarioRunnerImpl(@Reference Mesh mesh,
                              @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY)
                              LabService labs) {
        this.mesh = mesh;
        this.labs = labs;
    }

    private Map<String, String> labGuests(Path dir) {
        return labs == null ? Map.of() : LabGuests.of(labs.labs(), dir);
    }

    @Override
    public synchronized RunReport run(List<Path> paths, RunOptions options, Consumer<String> progress) {
        List<ScenarioResult> results = new ArrayList<>();
        outer:
        for (Path path : paths) {
            List<ScenarioParser.Found> found;
            try {
                found = ScenarioParser.find(path);
            } catch (IllegalArgumentException e) {
                results.add(new ScenarioResult("", path.toString(), ScenarioResult.Verdict.ERROR, e.getMessage(), "", 0, List.of(),
                        "", null));
                progress.accept("ERROR  " + e.getMessage());
                if (options.stopOnFail()) {
                    break;
                }
                continue;
            }
            for (ScenarioParser.Found f : found) {
                ScenarioResult r = new ScenarioRun(mesh, options, progress, this::labGuests).run(f);
                results.add(r);
                progress.accept(String.format("%-6s %s/%s (%.1f s)%s", r.verdict(), r.category(), r.name(), r.millis() / 1000.0,
                        r.passed() ? "" : ": " + r.failure()));
                if (!r.passed() && options.stopOnFail()) {
                    break outer;
                }
            }
        }
        RunReport report = new RunReport(results);
        progress.accept(report.passed() + " passed, " + report.failed() + " failed");
        return report;
    }

    @Override
    public void writeJUnit(RunReport report, Path file) {
        JUnitXml.write(report, file);
    }

    @Override
    public void writeHtml(RunReport report, Path dir) {
        HtmlReport.write(report, dir);
    }
}
