export { DEFAULT_BODY_LIMIT, DEFAULT_REST_PORT, buildApp, type RestOptions } from './app.js';
export { probeServices, type HealthProbe, type HealthReport, type ServiceState } from './health-check.js';
export { renderOpenApiYaml } from './spec.js';
