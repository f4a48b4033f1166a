// Node, ES modules: `import { createClient } from "steadfast"`. The same
// instance as `require("steadfast")`, so both share one ResilienceError.
import api from "./index.cjs";

export const createClient = api.createClient;
export const ResilienceError = api.ResilienceError;
export const CircuitBreaker = api.CircuitBreaker;
export const RateLimiter = api.RateLimiter;
export const RetryPolicy = api.RetryPolicy;
export const ErrorMonitor = api.ErrorMonitor;
export const classifyError = api.classifyError;
export const init = api.init;
export default api;
