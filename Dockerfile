FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ComplianceRecorder -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# the audiohook dialect's embedded recognizer (PocketSphinx and its en-us model), and the demo's synthesized
# calls (espeak-ng, resampled by sox): the packages .ci/run installs
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libpocketsphinx3 pocketsphinx-en-us espeak-ng sox \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
COPY appsettings.json .
ENTRYPOINT ["dotnet", "ComplianceRecorder.dll"]
CMD ["demo"]
