FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ComplianceRecorder -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY appsettings.json .
ENTRYPOINT ["dotnet", "ComplianceRecorder.dll"]
CMD ["demo"]
