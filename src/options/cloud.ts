/**
 * @module
 * Public configuration of the cloud provider types: Azure OpenAI, AWS Bedrock, Google's
 * Gemini API and Vertex AI. Their defaults live in `DEFAULTS` (options.ts);
 * docs/providers.md says what each one translates.
 */
import type { OpenAIProviderConfig } from './providers.js';


/** Settings every provider type shares (connections, retries, timeouts, breaker, rules, health checks). */
type Shared = Omit<OpenAIProviderConfig, 'type' | 'baseURL' | 'apiKey' | 'apiKeyEnv' | 'streamUsage' | 'responses'>;

/**
 * Azure OpenAI. Clients speak OpenAI's format, so requests and answers pass through; the
 * target's `model` names the deployment (deployment URLs) or the model (v1 API).
 *
 * @example
 * ```ts
 * { type: 'azure-openai', baseURL: 'https://my-resource.openai.azure.com', apiKeyEnv: 'AZURE_OPENAI_API_KEY', apiVersion: '2024-10-21' }
 * ```
 */
export interface AzureOpenAIProviderConfig extends Shared {
  type: 'azure-openai';
  /** The resource endpoint, `https://<resource>.openai.azure.com` (or a private endpoint or proxy). */
  baseURL: string;
  /** The resource key, sent as `api-key`. Prefer `apiKeyEnv`. */
  apiKey?: string;
  /** Name of an environment variable holding the resource key. */
  apiKeyEnv?: string;
  /**
   * An Entra ID token instead of a key: a function returning a token (or `{ token, expiresAt }`),
   * or an `@azure/identity` credential (`new DefaultAzureCredential()`). Cached and refreshed
   * before it expires. With neither a key nor a token, `DefaultAzureCredential` from the
   * optional peer `@azure/identity` is used.
   */
  token?: TokenFunction | TokenCredentialLike;
  /**
   * `'v1'` for the v1 API (`/openai/v1/chat/completions`, `model` in the body), or a dated
   * version (`'2024-10-21'`) for deployment URLs (`/openai/deployments/{model}/chat/completions?api-version=…`).
   * @default 'v1'
   */
  apiVersion?: string;
  /** As for `openai` providers: ask for usage in streams. @default true */
  streamUsage?: boolean;
}

/**
 * AWS Bedrock: the Converse API for every model family, and Anthropic's own Messages
 * body (InvokeModel) for Claude. Requests are signed with SigV4, or carry a Bedrock API key.
 *
 * @example
 * ```ts
 * { type: 'bedrock', region: 'us-east-1' } // credentials from the environment or the AWS default chain
 * ```
 */
export interface BedrockProviderConfig extends Shared {
  type: 'bedrock';
  /** The AWS region (`us-east-1`). @default the `AWS_REGION` or `AWS_DEFAULT_REGION` environment variable */
  region?: string;
  /**
   * Static credentials or a function returning them (`fromIni()`, `fromSSO()` of
   * `@aws-sdk/credential-providers`, ...); temporary ones are refreshed before their
   * `expiration`. Without `credentials` and `apiKey`: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
   * `AWS_SESSION_TOKEN` or `AWS_BEARER_TOKEN_BEDROCK` from the environment, else the AWS
   * default chain through the optional peer `@aws-sdk/credential-providers`.
   */
  credentials?: AwsCredentialsInput;
  /** A Bedrock API key, sent as a bearer token instead of a signature. */
  apiKey?: string;
  /** Name of an environment variable holding a Bedrock API key. */
  apiKeyEnv?: string;
  /** The runtime endpoint. @default `https://bedrock-runtime.<region>.amazonaws.com` */
  baseURL?: string;
  /**
   * How Claude models (ids containing `anthropic.claude`) are called: `'invoke'` sends
   * Anthropic's Messages body through InvokeModel (thinking, signatures and `cache_control`
   * survive), `'converse'` uses the Converse API like every other family.
   * @default 'invoke'
   */
  claude?: 'invoke' | 'converse';
  /** `max_tokens` for Claude when the client sets none (Anthropic requires it). @default 4096 */
  maxTokens?: number;
}

/**
 * Google's Gemini API (AI Studio): `generateContent`, `streamGenerateContent?alt=sse`,
 * `batchEmbedContents`, with the key in `x-goog-api-key`.
 *
 * @example
 * ```ts
 * { type: 'gemini', apiKeyEnv: 'GEMINI_API_KEY' }
 * ```
 */
export interface GeminiProviderConfig extends Shared {
  type: 'gemini';
  /** The API key. Prefer `apiKeyEnv`. One of the two is required. */
  apiKey?: string;
  /** Name of an environment variable holding the API key. */
  apiKeyEnv?: string;
  /** @default 'https://generativelanguage.googleapis.com/v1beta' */
  baseURL?: string;
}

/**
 * Vertex AI: Gemini models (`publishers/google`) and Claude (`publishers/anthropic`,
 * model ids starting with `claude`, Anthropic's body through rawPredict).
 *
 * @example
 * ```ts
 * { type: 'vertex', project: 'my-project', location: 'us-east5' } // Application Default Credentials
 * ```
 */
export interface VertexProviderConfig extends Shared {
  type: 'vertex';
  /** The Google Cloud project id. */
  project: string;
  /** The region (`us-central1`, `europe-west1`) or `global`. */
  location: string;
  /**
   * A function returning an OAuth access token (or `{ token, expiresAt }`); cached, and
   * refreshed before it expires (tokens without an expiry are asked for again after a
   * minute). Without it: Application Default Credentials through the optional peer
   * `google-auth-library`.
   */
  token?: TokenFunction;
  /** @default `https://<location>-aiplatform.googleapis.com` (`https://aiplatform.googleapis.com` for `global`) */
  baseURL?: string;
  /** `max_tokens` for Claude when the client sets none (Anthropic requires it). @default 4096 */
  maxTokens?: number;
}

/** Static AWS credentials. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working. */
  expiration?: Date;
}

/** Static credentials, or a function returning (temporary) credentials. */
export type AwsCredentialsInput = AwsCredentials | (() => Promise<AwsCredentials>);

/** What a token function returns: the token, or the token and when it expires. */
export type TokenResult = string | { token: string; expiresAt?: number | Date };

/** A function returning a bearer token (OAuth access token, Entra ID token). */
export type TokenFunction = () => Promise<TokenResult>;

/** The shape of `@azure/identity`'s credentials (`DefaultAzureCredential`, ...). */
export interface TokenCredentialLike {
  getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}
