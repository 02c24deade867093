// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "SplitBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bench", targets: ["bench"]),
        .library(name: "PageTableModel", targets: ["PageTableModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Debian's libjemalloc-dev: one arena per simulated map.
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        // jemalloc's start-up options (slab size of the table size class).
        .target(name: "CJemallocConfig"),
        // Non-temporal stores for whole-table fills; callgrind client requests for perfcheck.
        .target(name: "CStreamingStores"),
        .target(name: "PageTableModel", dependencies: ["CJemalloc", "CJemallocConfig", "CStreamingStores"], swiftSettings: hot),
        .target(name: "LinearMap", dependencies: ["PageTableModel"], swiftSettings: hot),
        .target(name: "SplitWalkers", dependencies: ["PageTableModel", "LinearMap"], swiftSettings: hot),
        .target(name: "KernelCallers", dependencies: ["PageTableModel", "LinearMap", "SplitWalkers"], swiftSettings: hot),
        .target(name: "TLBModel", dependencies: ["PageTableModel", "LinearMap"], swiftSettings: hot),
        .target(name: "BenchHarness", dependencies: ["CStreamingStores", "PageTableModel", "LinearMap", "SplitWalkers", "KernelCallers", "TLBModel", "Reports"]),
        .target(name: "Reports", dependencies: ["PageTableModel", "LinearMap"]),
        .executableTarget(name: "bench", dependencies: [
            "BenchHarness", "Reports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "PageTableModelTests", dependencies: ["PageTableModel", "LinearMap", "CJemalloc", "BenchHarness", "SplitWalkers"]),
        .testTarget(name: "SplitWalkersTests", dependencies: ["SplitWalkers", "PageTableModel", "LinearMap"]),
        .testTarget(name: "KernelCallersTests", dependencies: ["KernelCallers", "SplitWalkers", "PageTableModel", "LinearMap"]),
        .testTarget(name: "TLBModelTests", dependencies: ["TLBModel", "PageTableModel", "LinearMap"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "PageTableModel", "LinearMap", "KernelCallers", "SplitWalkers"]),
        .testTarget(name: "BenchTests", dependencies: ["BenchHarness", "Reports", "bench"]),
        // Malformed and extreme inputs through every parser: a clean error, never a trap.
        .testTarget(name: "ParserFuzzTests", dependencies: ["BenchHarness", "LinearMap", "KernelCallers", "TLBModel", "PageTableModel"]),
        .executableTarget(
            name: "MapBuild",
            dependencies: ["PageTableModel", "LinearMap", "BenchHarness", "BenchSupport", "BenchMetrics",
                           .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/MapBuild",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .target(name: "BenchSupport", dependencies: ["PageTableModel", "LinearMap", "SplitWalkers", "KernelCallers", "BenchHarness", "CJemalloc", "CStreamingStores"],
                path: "Benchmarks/BenchSupport"),
        .target(name: "BenchMetrics", dependencies: ["PageTableModel", .product(name: "Benchmark", package: "benchmark")],
                path: "Benchmarks/BenchMetrics"),
        // A one-shot probe, not a benchmark: package-benchmark runs every executable
        // directly under Benchmarks/, so it lives a level down.
        .executableTarget(
            name: "PerfTargets",
            dependencies: ["BenchSupport", "PageTableModel", "LinearMap", "SplitWalkers", "KernelCallers"],
            path: "Benchmarks/Probes/PerfTargets"
        ),
        .executableTarget(
            name: "Repaint",
            dependencies: ["PageTableModel", "LinearMap", "SplitWalkers", "BenchSupport", "BenchMetrics", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/Repaint",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "PermStorm",
            dependencies: ["PageTableModel", "LinearMap", "SplitWalkers", "BenchSupport", "BenchMetrics", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/PermStorm",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Counts",
            dependencies: ["PageTableModel", "LinearMap", "SplitWalkers", "BenchSupport", "BenchMetrics", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/Counts",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

/// The hot loops (table fill, walks, TLB lookups) are checked by the tests in
/// debug builds; release builds drop exclusivity checks on the model's state.
var hot: [SwiftSetting] { [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))] }
