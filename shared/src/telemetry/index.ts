// The SDK itself (./sdk, ./register) is loaded with `--import`, not from here: importing it
// after express or pg were required would be too late to instrument them.
export {
  currentTraceparent,
  contextFromTraceparent,
  startPublishSpan,
  withoutInstrumentation,
} from './traceContext';
export { httpRoute } from './httpRoute';
export {
  currentRequestContext,
  REQUEST_ID_HEADER,
  requestIdMiddleware,
  setRequestUser,
  type RequestContext,
} from './requestContext';
