using System.Text.Json;
using System.Text.Json.Serialization;

namespace ComplianceRecorder.Emulator;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Scenario))]
internal sealed partial class ScenarioJson : JsonSerializerContext;
