/**
 * The gateway's traces, with the OpenTelemetry SDK: one server span per request (HTTP semantic
 * conventions) and, under it, one client span per upstream attempt (GenAI semantic conventions),
 * exported in batches over OTLP/HTTP. Loaded by plugins/tracing.ts only when tracing is on.
 *
 * The SDK is not registered globally: the gateway may be embedded in an application that has its
 * own, and two gateways in one process must not share state. The attempt being run is kept in an
 * AsyncLocalStorage of our own, read by the dispatcher's interceptor to propagate it upstream.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 * @see https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { TracingOptions } from '../../schemas/options.js';
import type { RequestEnd } from '../../plugins/request-state.js';
import { costOf, pricingOf } from '../catalog.js';
import { GatewayError } from '../errors.js';
import type { Deployment } from '../routing/deployment.js';
import type { AttemptObserver, ObservedAttempt } from '../routing/execute.js';
import type { Operation } from '../routing/router.js';
import { UpstreamFailure } from '../upstream.js';
import type { RequestTrace } from './request-trace.js';
import { readAnswer, readRequestParameters, readInputMessages } from './read-model-exchange.js';

/**
 * The GenAI attribute names, written out: the conventions are still in development, and the
 * package exports them only from its unstable entry point, which it advises against importing.
 * @see https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** The gateway's own attributes. */
export const GATEWAY = {
  requestId: 'gateway.request.id',
  keyId: 'gateway.key.id',
  outcome: 'gateway.outcome',
  attempt: 'gateway.attempt',
  attempts: 'gateway.attempts',
  retry: 'gateway.retry',
  deployment: 'gateway.deployment',
  providerInstance: 'gateway.provider.instance',
  stream: 'gateway.stream',
  cacheResult: 'gateway.cache.result',
  costUsd: 'gateway.cost_usd',
  usageEstimated: 'gateway.usage.estimated',
  failoverReason: 'gateway.failover.reason',
  failoverAction: 'gateway.failover.action',
  firstToken: 'gateway.first_token',
  timeToFirstTokenMs: 'gateway.time_to_first_token_ms',
} as const;

/** Longest the gateway's stop waits for the last spans to be sent, ms. */
const SHUTDOWN_LIMIT_MS = 2000;

/** The tracing settings, with the URL spans are sent to resolved. */
export interface GatewayTracingSettings extends TracingOptions {
  readonly url: string;
  readonly serviceVersion: string;
}

/** `key=value,key2=value2` (values URL-encoded), as OTEL_EXPORTER_OTLP_HEADERS is written. */
export function parseExportHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    try {
      headers[name] = decodeURIComponent(value);
    } catch {
      headers[name] = value;
    }
  }
  return headers;
}

/** The sampler OTEL_TRACES_SAMPLER names. @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/ */
function samplerOf(settings: TracingOptions): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(settings.samplerArg);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
  }
}

/** The router's operations as the GenAI conventions name them (others keep the gateway's name). */
function operationNameOf(operation: Operation | undefined): string {
  if (operation === undefined || operation === 'responses') return 'chat';
  return operation;
}

/** Why the router moved on from a failed attempt. */
function failoverReasonOf(error: unknown): string {
  if (error instanceof UpstreamFailure) {
    if (error.upstreamStatus === 429) return 'rate_limited';
    if (error.upstreamStatus === 401 || error.upstreamStatus === 403) return 'key_refused';
    switch (error.kind) {
      case 'timeout':
        return 'timeout';
      case 'connection':
        return 'unreachable';
      case 'bad_response':
      case 'mid_stream':
        return 'bad_response';
      case 'http':
        return 'upstream_error';
    }
  }
  return 'error';
}

/** error.type: the upstream's HTTP status when it answered, else the gateway's error code. */
function errorTypeOf(error: unknown): string {
  if (error instanceof UpstreamFailure && error.upstreamStatus !== null) return String(error.upstreamStatus);
  if (error instanceof GatewayError) return error.gatewayCode;
  return error instanceof Error ? error.name : 'error';
}

/** The upstream origin's host and port, once per instance. */
const serverOf = new WeakMap<object, Attributes>();
function serverAttributesOf(deployment: Deployment): Attributes {
  const instance = deployment.instance;
  let attributes = serverOf.get(instance);
  if (attributes === undefined) {
    attributes = {};
    try {
      const url = new URL(instance.baseUrl);
      attributes[ATTR_SERVER_ADDRESS] = url.hostname;
      attributes[ATTR_SERVER_PORT] = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    } catch {
      // An instance without a base URL (one that does not call over HTTP) has no server to name.
    }
    serverOf.set(instance, attributes);
  }
  return attributes;
}

/** An epoch time in ms for a `performance.now()` reading. */
function epochOf(performanceNow: number): number {
  return performance.timeOrigin + performanceNow;
}

/** Adds the propagation headers to a dispatch's headers, whatever shape they were given in. */
function withHeaders(
  headers: Dispatcher.DispatchOptions['headers'],
  added: Record<string, string>,
): Dispatcher.DispatchOptions['headers'] {
  if (headers === undefined || headers === null) return added;
  if (Array.isArray(headers)) return [...(headers as string[]), ...Object.entries(added).flat()];
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(headers as Iterable<[string, string | string[] | undefined]>), ...Object.entries(added)];
  }
  return { ...(headers as Record<string, string>), ...added };
}

/** The winning attempt of a model call: its span ends with the request, usage and outcome known. */
interface OpenAttempt {
  readonly span: Span;
  readonly stream: boolean;
  /** When a unary attempt had its answer (epoch ms); a stream's ends with the request. */
  readonly endedAt: number | undefined;
}

class TracedRequest implements RequestTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly open: OpenAttempt[] = [];
  #parameters: Attributes | undefined;

  constructor(
    readonly tracing: GatewayTracing,
    readonly request: FastifyRequest,
    readonly span: Span,
  ) {
    const context = span.spanContext();
    this.traceId = context.traceId;
    this.spanId = context.spanId;
  }

  observeAttempts(operation: Operation | undefined, stream: boolean): AttemptObserver {
    return new AttemptSpans(this, operationNameOf(operation), stream);
  }

  /** The request's model parameters, read from its body once. */
  parameters(): Attributes {
    this.#parameters ??= readRequestParameters(this.request.body);
    return this.#parameters;
  }
}

class AttemptSpans implements AttemptObserver {
  #count = 0;

  constructor(
    readonly owner: TracedRequest,
    readonly operationName: string,
    readonly stream: boolean,
  ) {}

  start(deployment: Deployment, retry: boolean): ObservedAttempt {
    this.#count++;
    const owner = this.owner;
    const tracing = owner.tracing;
    const parent = trace.setSpan(ROOT_CONTEXT, owner.span);
    const recording = owner.span.isRecording();
    const span = tracing.tracer.startSpan(
      `${this.operationName} ${deployment.upstreamModel}`,
      {
        kind: SpanKind.CLIENT,
        attributes: recording
          ? {
              [GEN_AI.operationName]: this.operationName,
              [GEN_AI.providerName]: deployment.instance.type,
              [GEN_AI.requestModel]: deployment.upstreamModel,
              [GATEWAY.providerInstance]: deployment.instance.id,
              [GATEWAY.deployment]: deployment.deploymentId,
              [GATEWAY.attempt]: this.#count,
              [GATEWAY.retry]: retry,
              [GATEWAY.stream]: this.stream,
              ...serverAttributesOf(deployment),
              ...owner.parameters(),
            }
          : undefined,
      },
      parent,
    );
    if (recording && tracing.captureContent) {
      const messages = readInputMessages(owner.request.body);
      if (messages !== undefined) span.setAttribute(GEN_AI.inputMessages, messages);
    }
    const stream = this.stream;
    return {
      run: (attempt) => tracing.attempts.run(span, attempt),
      succeeded: (value) => {
        owner.open.push({ span, stream, endedAt: stream ? undefined : Date.now() });
        if (!span.isRecording()) return;
        try {
          const answer = readAnswer(value, tracing.captureContent);
          if (answer.id !== undefined) span.setAttribute(GEN_AI.responseId, answer.id);
          if (answer.finishReasons.length > 0) span.setAttribute(GEN_AI.finishReasons, answer.finishReasons);
          if (answer.output !== undefined) span.setAttribute(GEN_AI.outputMessages, answer.output);
        } catch {
          // An event the stream will fail on when it is read (a malformed first event): the route
          // reports it; the span only lacks the answer's id.
        }
      },
      failed: (error, action) => {
        if (span.isRecording()) {
          span.setAttribute(ATTR_ERROR_TYPE, errorTypeOf(error));
          if (action !== 'stop') {
            span.setAttribute(GATEWAY.failoverReason, failoverReasonOf(error));
            span.setAttribute(GATEWAY.failoverAction, action);
          }
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
        }
        span.end();
      },
    };
  }
}

export class GatewayTracing {
  readonly tracer: Tracer;
  /** The attempt whose upstream request is being sent, for the propagation headers. */
  readonly attempts = new AsyncLocalStorage<Span>();
  readonly captureContent: boolean;
  readonly #provider: BasicTracerProvider;
  readonly #propagator = new W3CTraceContextPropagator();

  constructor(settings: GatewayTracingSettings) {
    this.captureContent = settings.captureContent;
    const exporter = new OTLPTraceExporter({
      url: settings.url,
      headers: parseExportHeaders(settings.headers),
    });
    this.#provider = new BasicTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({
          [ATTR_SERVICE_NAME]: settings.serviceName,
          [ATTR_SERVICE_VERSION]: settings.serviceVersion,
        }),
      ),
      sampler: samplerOf(settings),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: settings.exportDelayMs })],
    });
    this.tracer = this.#provider.getTracer('llm-gateway', settings.serviceVersion);
  }

  /** Opens the request's server span, in the caller's trace when it sent `traceparent`. */
  startRequest(request: FastifyRequest): RequestTrace {
    const parent = this.#propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const route = request.routeOptions.url;
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      // The path only: a query may hold a key (Google's clients send `?key=`).
      [ATTR_URL_PATH]: request.url.split('?', 1)[0],
      [ATTR_URL_SCHEME]: request.protocol,
      [ATTR_CLIENT_ADDRESS]: request.ip,
      [GATEWAY.requestId]: request.id,
    };
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    const userAgent = request.headers['user-agent'];
    if (userAgent !== undefined) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
    const span = this.tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    return new TracedRequest(this, request, span);
  }

  /** Ends the request's spans, however it ended: its model attempts' first, then its own. */
  endRequest(request: FastifyRequest, end: RequestEnd): void {
    const traced = request.gateway.trace;
    if (!(traced instanceof TracedRequest)) return;
    const state = request.gateway;
    const span = traced.span;
    const recording = span.isRecording();
    const cost = state.usage ? costOf(pricingOf(state.deployment), state.usage) : undefined;
    for (const attempt of traced.open) {
      if (attempt.span.isRecording()) {
        const attributes: Attributes = { [GATEWAY.outcome]: end.outcome };
        if (state.answeredModel !== null) attributes[GEN_AI.responseModel] = state.answeredModel;
        if (state.usage) {
          attributes[GEN_AI.inputTokens] = state.usage.promptTokens;
          attributes[GEN_AI.outputTokens] = state.usage.completionTokens;
          if (state.usage.estimated) attributes[GATEWAY.usageEstimated] = true;
          if (cost !== undefined) attributes[GATEWAY.costUsd] = cost;
        }
        attempt.span.setAttributes(attributes);
        if (attempt.stream && state.timeToFirstByteMs !== null) {
          attempt.span.addEvent(
            GATEWAY.firstToken,
            { [GATEWAY.timeToFirstTokenMs]: Math.round(state.timeToFirstByteMs * 100) / 100 },
            epochOf(state.startedAt + state.timeToFirstByteMs),
          );
        }
        if (end.outcome === 'upstream_error' || end.outcome === 'timeout') {
          attempt.span.setAttribute(ATTR_ERROR_TYPE, state.errorCode ?? end.outcome);
          attempt.span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (end.outcome === 'client_closed') {
          attempt.span.setAttribute(ATTR_ERROR_TYPE, 'client_closed');
        }
      }
      attempt.span.end(attempt.endedAt);
    }
    if (recording) {
      const attributes: Attributes = {
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: end.status,
        [GATEWAY.outcome]: end.outcome,
      };
      const route = request.routeOptions.url;
      if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
      if (state.identity) attributes[GATEWAY.keyId] = state.identity.id;
      if (state.model !== null) {
        attributes[GEN_AI.requestModel] = state.model;
        attributes[GATEWAY.attempts] = state.attempts;
        attributes[GATEWAY.stream] = state.stream;
      }
      if (state.cache) attributes[GATEWAY.cacheResult] = state.cache;
      if (state.usage) {
        attributes[GEN_AI.inputTokens] = state.usage.promptTokens;
        attributes[GEN_AI.outputTokens] = state.usage.completionTokens;
        if (cost !== undefined) attributes[GATEWAY.costUsd] = cost;
      }
      if (end.status >= 500) {
        attributes[ATTR_ERROR_TYPE] = state.errorCode ?? String(end.status);
        span.setStatus({ code: SpanStatusCode.ERROR });
      } else if (end.outcome === 'client_closed') attributes[ATTR_ERROR_TYPE] = 'client_closed';
      span.setAttributes(attributes);
    }
    span.end();
  }

  /**
   * The dispatcher the providers get: each upstream request sent while an attempt runs carries that
   * attempt's `traceparent` (and the caller's `tracestate`), whichever provider builds it.
   * @see https://www.w3.org/TR/trace-context/
   */
  propagating(dispatcher: Dispatcher): Dispatcher {
    const attempts = this.attempts;
    const propagator = this.#propagator;
    return dispatcher.compose((dispatch) => (options, handler) => {
      const span = attempts.getStore();
      if (span === undefined) return dispatch(options, handler);
      const added: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), added, defaultTextMapSetter);
      return dispatch({ ...options, headers: withHeaders(options.headers, added) }, handler);
    });
  }

  /** Sends the spans still waiting. */
  flush(): Promise<void> {
    return this.#provider.forceFlush();
  }

  /**
   * Sends what is waiting and stops (the gateway's close), waiting at most `limitMs`: the exporter
   * retries an unreachable collector for seconds, which must not hold up the gateway's stop.
   */
  shutdown(limitMs = SHUTDOWN_LIMIT_MS): Promise<void> {
    const done = this.#provider.shutdown();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, limitMs);
      timer.unref();
      done.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}
