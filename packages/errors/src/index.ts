export { type ErrorCode, errorCatalogue, errorCodes, refusalPrecedence, statusOf } from './codes.ts';
export {
  type FieldError,
  isProblemError,
  leadingCode,
  makeProblem,
  type Problem,
  ProblemError,
  problemContentType,
  problemFromFieldErrors,
  problemTypeUri,
} from './problem.ts';
