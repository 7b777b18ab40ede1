import Foundation
import Logging
import Testing
@testable import Relay

/// `tracing.*` and `SPARK_RELAY_TRACING_HEADERS`: values read, every bad value refused with a
/// message naming its key (and never quoting a header's value, which may be a credential), and the
/// setup made from them.
@Suite struct TracingConfigurationTests {
    private func load(_ json: String) throws -> RelayConfiguration {
        try ConfigLoader.load(json: Array(json.utf8))
    }

    private func error(_ json: String) -> ConfigError? {
        do {
            _ = try ConfigLoader.load(json: Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func offByDefault() throws {
        let configuration = try load("{}")
        #expect(configuration.tracing.otlpEndpoint == nil)
        #expect(!configuration.tracing.isEnabled)
        let setup = try TracingSetup.make(configuration.tracing, instanceID: nil)
        #expect(setup.tracer == nil && setup.exporter == nil)
    }

    @Test func valuesAreApplied() throws {
        let configuration = try load(#"""
            {"tracing":{"otlp_endpoint":"http://127.0.0.1:4318","headers":[{"name":"Authorization","value":"Bearer t0ken"}],
             "service_name":"relay-eu","sample_ratio":0.25,"queue_spans":100,"batch_spans":10,"flush_interval":0.5,
             "export_timeout":2,"shutdown_timeout":1}}
            """#)
        let tracing = configuration.tracing
        #expect(tracing.otlpEndpoint == "http://127.0.0.1:4318")
        #expect(tracing.headers == [.init(name: "Authorization", value: "Bearer t0ken")])
        #expect(tracing.serviceName == "relay-eu")
        #expect(tracing.sampleRatio == 0.25)
        #expect(tracing.queueSpans == 100 && tracing.batchSpans == 10)
        #expect(tracing.flushInterval == 0.5 && tracing.exportTimeout == 2 && tracing.shutdownTimeout == 1)
        let setup = try TracingSetup.make(tracing, instanceID: "relay-a")
        let exporter = try #require(setup.exporter)
        #expect(setup.tracer != nil)
        #expect(exporter.configuration.endpoint.description == "http://127.0.0.1:4318/v1/traces")
        #expect(exporter.configuration.headers.map { "\($0.0)=\($0.1)" } == ["Authorization=Bearer t0ken"])
        #expect(exporter.configuration.serviceName == "relay-eu")
        #expect(exporter.configuration.queueCapacity == 100 && exporter.configuration.maxBatchSize == 10)
        #expect(exporter.configuration.resourceAttributes.map(\.key) == ["service.instance.id"])
        let done = DispatchSemaphore(value: 0)
        setup.shutdown(logger: Logger(label: "test")) { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
    }

    @Test(arguments: [
        (#"{"tracing":{"otlp_endpoint":"ftp://collector:21"}}"#, "tracing.otlp_endpoint"),
        (#"{"tracing":{"otlp_endpoint":""}}"#, "tracing.otlp_endpoint"),
        (#"{"tracing":{"sample_ratio":1.5}}"#, "tracing.sample_ratio"),
        (#"{"tracing":{"sample_ratio":"half"}}"#, "tracing.sample_ratio"),
        (#"{"tracing":{"queue_spans":0}}"#, "tracing.queue_spans"),
        (#"{"tracing":{"service_name":""}}"#, "tracing.service_name"),
        (#"{"tracing":{"headers":[{"name":"Bad Name","value":"x"}]}}"#, "tracing.headers[0].name"),
        (#"{"tracing":{"headers":[{"name":"Content-Type","value":"x"}]}}"#, "tracing.headers[0].name"),
        (#"{"tracing":{"headers":[{"value":"x"}]}}"#, "tracing.headers[0].name"),
        (#"{"tracing":{"headers":[{"name":"X-Key","value":"a\r\nInjected: yes"}]}}"#, "tracing.headers[0].value"),
        (#"{"tracing":{"headers":[{"name":"X-Key","value":"v","extra":1}]}}"#, "tracing.headers[0]"),
        (#"{"tracing":{"unknown":1}}"#, "tracing.unknown"),
    ])
    func badValuesAreRefusedNamingTheirKey(json: String, key: String) {
        let refused = error(json)
        #expect(refused?.key.hasPrefix(key) == true, "\(json) → \(String(describing: refused))")
        #expect(refused?.message.contains("Injected") != true)
    }

    @Test func theEnvironmentsHeadersWinAndAreParsedInOpenTelemetrysForm() throws {
        var configuration = try load(#"{"tracing":{"headers":[{"name":"X-From-File","value":"1"}]}}"#)
        ConfigLoader.applyEnvironment([TracingHeaders.environmentVariable: " Authorization = Basic%20dXNlcjpwdw== , x-tenant=acme,, "],
                                      to: &configuration)
        #expect(configuration.tracing.headers == [.init(name: "Authorization", value: "Basic dXNlcjpwdw=="),
                                                  .init(name: "x-tenant", value: "acme")])
        try TracingHeaders.validate(configuration.tracing.headers)
    }

    @Test func theStartLogSaysWhereSpansGoButNeverTheHeaders() throws {
        let (application, _, logs) = try TestServer.application { configuration in
            configuration.upstream.mode = .simulator
            configuration.tracing.otlpEndpoint = "http://127.0.0.1:9"
            configuration.tracing.headers = [.init(name: "Authorization", value: "Bearer collector-secret")]
        }
        defer { application.shutdown() }
        application.logTracing()
        let line = try #require(logs.lines.first { $0.contains("tracing:") })
        #expect(line.contains("endpoint=http://127.0.0.1:9/v1/traces"))
        #expect(line.contains("headers=1"))
        #expect(!logs.lines.contains { $0.contains("collector-secret") })
    }

    @Test func aBrokenEnvironmentHeaderStopsTheStartWithoutQuotingIt() throws {
        var configuration = RelayConfiguration()
        configuration.tracing.otlpEndpoint = "http://127.0.0.1:4318"
        ConfigLoader.applyEnvironment([TracingHeaders.environmentVariable: "secret-without-equals-sign"], to: &configuration)
        #expect(throws: ConfigError.self) { try TracingSetup.make(configuration.tracing, instanceID: nil) }
        do {
            _ = try TracingSetup.make(configuration.tracing, instanceID: nil)
        } catch let error as ConfigError {
            #expect(error.key.contains(TracingHeaders.environmentVariable))
            #expect(!error.message.contains("secret-without-equals-sign"))
        }
    }
}
